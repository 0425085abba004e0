// One measurement of N groups on one worker (lab/group-fleet.ts): every guest sends 64-byte
// frames as fast as it can, and the daemon's own counters say what each group forwarded; the
// cost of holding N groups is read beside it: add-group's time for all N, the daemon's memory
// per group, how long `status` takes and how large and slow a metrics scrape is.
import type { GroupStatsReply } from '../../src/control/protocol';
import { GroupFleet, type Filling, type UplinkForm } from '../../lab/group-fleet';
import { books } from '../../lab/ledger';
import { median } from '../stats';
import { waitFor } from '../../lab/wait';

export interface ScaleSample {
  groups: number;
  /** Guest frames the daemon sent on an uplink, all groups, in Mpps. */
  aggregateMpps: number;
  perGroupMpps: number[];
  /** Slowest group over fastest. */
  fairness: number;
  /** Guest frames dropped and counted in the window, all groups and causes. */
  droppedInWindow: number;
  /** add-group of all N, one after the other. */
  startMs: number;
  /** Each add-group's time, in order: whether one costs more the more groups are held. */
  addMs: number[];
  /** The daemon's VmRSS once all N run with traffic, less its VmRSS holding none, over N. */
  rssPerGroupKiB: number;
  /** Medians of STATUS_CALLS calls, under load. */
  statusMs: number;
  scrapeMs: number;
  scrapeBytes: number;
}

const STATUS_CALLS = 5;

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Each group's counters, in group order, and when they were read. */
async function readCounters(fleet: GroupFleet): Promise<{ at: bigint; groups: GroupStatsReply[] }> {
  const stats = await fleet.stats();
  return { at: process.hrtime.bigint(), groups: fleet.groups.map((g) => stats[g.name]) };
}

const sentOnUplinks = (s: GroupStatsReply) => s.txPackets.primary + s.txPackets.standby;

async function timedMs(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** How many groups the daemon takes, up to `most`: it stops at its own refusal. */
export async function probeCapacity(most: number, uplinks: UplinkForm): Promise<Filling> {
  const fleet = await GroupFleet.start({ uplinks });
  try {
    return await fleet.fill(most);
  } finally {
    await fleet.stop();
  }
}

export async function measureScale(groups: number, windowMs: number, uplinks: UplinkForm): Promise<ScaleSample> {
  const fleet = await GroupFleet.start({ uplinks });
  try {
    const emptyRssKiB = fleet.rssKiB();
    const filling = await fleet.fill(groups);
    if (filling.refusal) throw new Error(`the daemon took ${filling.added} of ${groups} groups: ${filling.refusal}`);
    await fleet.startGuests();
    await waitFor(
      'traffic from every group',
      async () => (await readCounters(fleet)).groups.every((s) => sentOnUplinks(s) > 10000),
      20000,
      50,
    );
    const start = await readCounters(fleet);
    await new Promise((resolve) => setTimeout(resolve, windowMs)); // the measurement window itself
    const end = await readCounters(fleet);
    const seconds = Number(end.at - start.at) / 1e9;
    const perGroupMpps = end.groups.map((s, i) =>
      round((sentOnUplinks(s) - sentOnUplinks(start.groups[i])) / seconds / 1e6, 4),
    );
    // The ledger's count of drops by every cause (nothing is received here: arrivals are not asked).
    const droppedInWindow = end.groups.reduce(
      (sum, s, i) => sum + books({ ...start.groups[i], mbufsInUse: 0 }, { ...s, mbufsInUse: 0 }, 0).dropped,
      0,
    );

    const statusMs: number[] = [];
    const scrapes: Array<{ bytes: number; ms: number }> = [];
    for (let i = 0; i < STATUS_CALLS; i++) {
      statusMs.push(await timedMs(() => fleet.daemon.status()));
      scrapes.push(fleet.scrapeMetrics());
    }
    const loadedRssKiB = fleet.rssKiB();
    return {
      groups,
      aggregateMpps: round(
        perGroupMpps.reduce((sum, n) => sum + n, 0),
        3,
      ),
      perGroupMpps,
      fairness: round(Math.min(...perGroupMpps) / Math.max(...perGroupMpps), 3),
      droppedInWindow,
      startMs: round(
        filling.addMs.reduce((sum, n) => sum + n, 0),
        1,
      ),
      addMs: filling.addMs.map((ms) => round(ms, 2)),
      rssPerGroupKiB: Math.round((loadedRssKiB - emptyRssKiB) / groups),
      statusMs: round(median(statusMs), 2),
      scrapeMs: round(median(scrapes.map((s) => s.ms)), 2),
      scrapeBytes: median(scrapes.map((s) => s.bytes)),
    };
  } finally {
    await fleet.stop();
  }
}
