// The soak: the lab topology with a guest sending, faults applied in an order and at times a
// seeded generator picks, and after every fault the invariants checked:
// - the books balance: every frame the guest sent reached the bridge or was dropped and counted
//   with a reason, and "no path" only when both uplinks were down;
// - the active path is the one the policy must pick for the links and the operator's command;
// - mbufs return to the baseline once traffic pauses;
// - the daemon lives, and its RSS, file descriptors and threads stay within bounds;
// - a removed group leaves no tap behind (its files and threads: the bounds above).
// It stops at the first broken invariant with the seed, the step and the state.
import { request } from '../../src/control/client';
import { books } from '../ledger';
import { fdDifference, processSample, type ProcessSample } from '../process-sample';
import { BRIDGE, Topology, labConfig } from '../topology';
import { waitFor } from '../wait';
import { FAULTS, type FaultKind, type SoakLab } from './faults';
import { expectedPath, initialModel } from './model';
import { Random } from './random';

export interface SoakOptions {
  seed: number;
  faults: number;
  /** Guest restarts (both socket modes) to reach at least, on top of those the faults drew. */
  reconnects: number;
  onProgress?: (line: string) => void;
}

export interface SoakSummary {
  seed: number;
  faults: number;
  byKind: Partial<Record<FaultKind, number>>;
  reconnects: number;
  framesSent: number;
  framesArrived: number;
  droppedByCause: Record<string, number>;
  lostSilently: number;
  seconds: number;
  rssMiB: { first: number; last: number; max: number; slopePer1000Faults: number };
  /** Samples without vm2 only (its own files would read as growth). */
  fds: { first: number; last: number; max: number; slopePer1000Faults: number };
  threads: { first: number; last: number; max: number };
}

/** A broken invariant: the step, the fault, and what the soak saw. */
export class SoakFailure extends Error {}

// Bounds a healthy daemon stays within over a run, whatever its length. Files: a control
// connection or two may be closing at a checkpoint; anything that leaks per reconnect, per
// group or per fault passes these within a few events. Threads: libuv's pool (4) starts lazily.
const RSS_GROWTH_LIMIT_MIB = 64;
const FD_GROWTH_LIMIT = 4;
const THREAD_GROWTH_LIMIT = 4;

interface ProcSample extends ProcessSample {
  step: number;
  /** vm2 present: its sockets, taps, queue eventfds and memory regions count too. */
  second: boolean;
}

function procSample(pid: number, step: number, second: boolean): ProcSample {
  return { step, second, ...processSample(pid) };
}

/** Least-squares slope of y over x, per unit of x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

export async function runSoak(options: SoakOptions): Promise<SoakSummary> {
  const random = new Random(options.seed);
  const startedAt = Date.now();
  const config = labConfig({
    faultInjection: true,
    failover: { failbackDelayMs: 0, flapDamping: { maxChanges: 0 } },
  });
  const t = await Topology.start(config);
  const say = options.onProgress ?? (() => {});
  let secondGuest: SoakLab['second'] | undefined;
  try {
    await t.waitForActivePath('primary');
    const lab: SoakLab = {
      t,
      random,
      model: initialModel(),
      sender: await t.startSender(),
      second: { present: false },
      noPathAllowed: false,
      reconnects: 0,
    };
    secondGuest = lab.second;
    const { pid } = await request(t.controlSocket, 'identity');
    const samples: ProcSample[] = [];
    const mbufBaselines = new Map<boolean, number>();
    const byKind: Partial<Record<FaultKind, number>> = {};
    const totals = { sent: 0, arrived: 0, lost: 0, dropped: {} as Record<string, number> };
    let step = 0;
    let fault: FaultKind | 'start' = 'start';
    const fail = (what: string): never => {
      throw new SoakFailure(
        `soak seed ${options.seed}, step ${step} (after ${fault}): ${what}\n` +
          `model ${JSON.stringify(lab.model)}; vm2 ${lab.second.present ? 'present' : 'absent'}`,
      );
    };

    // The books open while no traffic flows; one checkpoint pauses it, reads every invariant, and
    // resumes it.
    await lab.sender.command('stop');
    await t.trafficStopped();
    await t.announcementsDone();
    let before = await t.groupStats();
    let bridgeBefore = t.netns.counters(BRIDGE).rxPackets;
    await lab.sender.command('start');
    const checkpoint = async () => {
      const expected = expectedPath(lab.model);
      await waitFor(
        `the ${expected} path`,
        async () => (await t.groupStatus()).activePath === expected,
        5000,
        20,
      ).catch(async () => fail(`active path ${(await t.groupStatus()).activePath}, expected ${expected}`));
      await lab.sender.command('stop');
      await t.trafficStopped();
      await t.announcementsDone();
      const after = await t.groupStats();
      const bridgeAfter = t.netns.counters(BRIDGE).rxPackets;
      const window = books(before, after, bridgeAfter - bridgeBefore);
      if (window.lostSilently !== 0)
        fail(`${window.lostSilently} frames lost silently (sent ${window.sent}, arrived ${window.arrived})`);
      if (window.droppedByCause.no_path > 0 && !lab.noPathAllowed)
        fail(`${window.droppedByCause.no_path} frames dropped for no path while a path was up`);
      totals.sent += window.sent;
      totals.lost += window.lostSilently;
      totals.arrived += window.arrived;
      for (const [cause, count] of Object.entries(window.droppedByCause))
        totals.dropped[cause] = (totals.dropped[cause] ?? 0) + count;
      const baseline = mbufBaselines.get(lab.second.present);
      if (baseline === undefined) mbufBaselines.set(lab.second.present, after.mbufsInUse);
      else
        await waitFor('mbufs at the baseline', async () => (await t.groupStats()).mbufsInUse === baseline, 3000).catch(
          async () => fail(`${(await t.groupStats()).mbufsInUse} mbufs in use, baseline ${baseline}`),
        );
      if (t.daemon!.exited) fail(`the daemon exited:\n${t.daemon!.log.slice(-2000)}`);
      samples.push(procSample(pid, step, lab.second.present));
      before = await t.groupStats();
      bridgeBefore = t.netns.counters(BRIDGE).rxPackets;
      lab.noPathAllowed = !lab.model.standbyUp && !(lab.model.primaryPresent && lab.model.primaryUp);
      await lab.sender.command('start');
    };

    const total = options.faults;
    const eligible = () => FAULTS.filter((f) => !f.applies || f.applies(lab));
    for (step = 1; step <= total; step++) {
      // Reconnects owed by the end of the run come evenly spread through it.
      const reconnectsDue = Math.floor((options.reconnects * step) / total);
      const chosen =
        lab.reconnects < reconnectsDue
          ? FAULTS.find(
              (f) =>
                f.kind ===
                (lab.second.present && lab.reconnects % 2 === 1 ? 'client-mode-guest-restart' : 'guest-restart'),
            )!
          : random.weighted(eligible().map((f) => [f, f.weight] as const));
      fault = chosen.kind;
      byKind[fault] = (byKind[fault] ?? 0) + 1;
      try {
        await chosen.run(lab);
      } catch (err) {
        if (err instanceof SoakFailure) throw err;
        fail(`the fault itself failed: ${(err as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, random.int(0, 30))); // traffic under the new state
      await checkpoint();
      if (fault === 'add-remove-group' && !lab.second.present) {
        const suffix = t.primaryTap.slice(3);
        for (const tap of [`vfq${suffix}`, `vfr${suffix}`]) if (t.netns.hasLink(tap)) fail(`removed vm2 left ${tap}`);
      }
      if (step % 25 === 0 || step === total) {
        const rate = step / ((Date.now() - startedAt) / 1000);
        const eta = Math.round((total - step) / rate);
        say(
          `soak ${step}/${total} faults, ${rate.toFixed(1)}/s, ETA ${eta} s; reconnects ${lab.reconnects}; ` +
            `frames sent ${totals.sent}, lost ${totals.lost}; ` +
            Object.entries(byKind)
              .map(([kind, n]) => `${kind} ${n}`)
              .join(', '),
        );
      }
    }

    const first = samples[0];
    const last = samples[samples.length - 1];
    const max = (key: 'rssMiB' | 'fds' | 'threads') => Math.max(...samples.map((s) => s[key]));
    if (max('rssMiB') - first.rssMiB > RSS_GROWTH_LIMIT_MIB)
      fail(`RSS grew from ${first.rssMiB.toFixed(0)} to ${max('rssMiB').toFixed(0)} MiB`);
    // Files and threads compared like for like: with vm2 present, or absent, at both ends; from
    // the second sample in that state on (the first may still be settling: a thread pool starting).
    for (const second of [false, true]) {
      const alike = samples.filter((s) => s.second === second);
      if (alike.length < 3) continue;
      const [from, to] = [alike[1], alike[alike.length - 1]];
      if (to.fds - from.fds > FD_GROWTH_LIMIT)
        fail(
          `open files grew from ${from.fds} (step ${from.step}) to ${to.fds} (step ${to.step}): ${fdDifference(from, to)}`,
        );
      if (to.threads - from.threads > THREAD_GROWTH_LIMIT)
        fail(`threads grew from ${from.threads} (step ${from.step}) to ${to.threads} (step ${to.step})`);
    }
    // Open files' slope over the samples without vm2, whose own files would read as growth.
    const alone = samples.filter((s) => !s.second);
    const per1000 = (key: 'rssMiB' | 'fds') =>
      slope((key === 'rssMiB' ? samples : alone).map((s) => [s.step, s[key]])) * 1000;
    return {
      seed: options.seed,
      faults: total,
      byKind,
      reconnects: lab.reconnects,
      framesSent: totals.sent,
      framesArrived: totals.arrived,
      droppedByCause: totals.dropped,
      lostSilently: totals.lost,
      seconds: Math.round((Date.now() - startedAt) / 1000),
      rssMiB: { first: first.rssMiB, last: last.rssMiB, max: max('rssMiB'), slopePer1000Faults: per1000('rssMiB') },
      fds: {
        first: alone[0]?.fds ?? 0,
        last: alone[alone.length - 1]?.fds ?? 0,
        max: Math.max(0, ...alone.map((s) => s.fds)),
        slopePer1000Faults: per1000('fds'),
      },
      threads: { first: first.threads, last: last.threads, max: max('threads') },
    };
  } finally {
    await secondGuest?.guest?.stop();
    await t.stop();
  }
}
