// The one frame ledger of the lab (tests, demo, bench): every frame the guest sent across a
// window, counted from the daemon's side and the network's. Opened while no traffic flows and
// closed once it has stopped, so the books balance exactly:
//   sent (taken from the guest's ring) = arrived at the bridge + dropped and counted + lost silently
// where "arrived" excludes the daemon's own announcements (RARPs and GARPs), which the bridge
// counts too. lostSilently is the one number no counter explains: it must be 0.
import { strict as assert } from 'assert';
import type { GroupStatsReply } from '../src/control/protocol';
import { COUNTER_LIST } from '../src/dataplane/counter-list';
import type { CounterSpec, UplinkName } from '../src/dataplane';
import { BRIDGE, type Topology } from './topology';
import { waitFor } from './wait';

export interface Books {
  sent: number;
  arrived: number;
  /** Dropped by the daemon and counted, all causes. */
  dropped: number;
  lostSilently: number;
  /** Guest frames each uplink took. */
  onUplink: { primary: number; standby: number };
  /** Dropped by the daemon and counted, by cause (counters.def's reason, and uplink where it has one). */
  droppedByCause: Record<TxDropCause, number>;
  /** RARPs and GARPs the daemon sent in the window. */
  announcements: number;
}

export interface FrameLedger {
  /**
   * Waits for the guest's traffic (stopped by the caller) to drain, the announcements to end and
   * every mbuf to come back, prints the books and returns them. Unless `strict` is false, it also
   * requires that nothing was dropped or lost.
   */
  close(what: string, options?: { strict?: boolean; quiet?: boolean }): Promise<Books>;
}

type Stats = GroupStatsReply & { mbufsInUse: number };

const announcedBy = (s: Stats) =>
  s.announcementsSent.primary + s.announcementsSent.standby + s.garpsSent.primary + s.garpsSent.standby;
// The drop causes of the guest's frames, as native/dpdk/hot/counters.def lists them.
type TxDropSpec = Exclude<Extract<CounterSpec, { direction: 'tx' }>, { reason: '' }>;
type CauseOf<S> = S extends { perPath: true; reason: infer R extends string }
  ? `${R}_${UplinkName}`
  : S extends { reason: infer R extends string }
    ? R
    : never;
export type TxDropCause = CauseOf<TxDropSpec>;
const TX_DROPS = COUNTER_LIST.filter((c): c is TxDropSpec => c.direction === 'tx' && c.reason !== '');
const droppedBy = (s: Stats) =>
  Object.fromEntries(
    TX_DROPS.flatMap((spec) => {
      const value = s[spec.name];
      return typeof value === 'number'
        ? [[spec.reason, value]]
        : (['primary', 'standby'] as const).map((path) => [`${spec.reason}_${path}`, value[path]]);
    }),
  ) as Record<TxDropCause, number>;

/** The books between two readings of the daemon's counters and the bridge's. */
export function books(before: Stats, after: Stats, bridgeReceived: number): Books {
  const announcements = announcedBy(after) - announcedBy(before);
  const [droppedBefore, droppedAfter] = [droppedBy(before), droppedBy(after)];
  const causes = Object.keys(droppedAfter) as TxDropCause[];
  const droppedByCause = Object.fromEntries(
    causes.map((cause) => [cause, droppedAfter[cause] - droppedBefore[cause]]),
  ) as Books['droppedByCause'];
  const dropped = causes.reduce((sum, cause) => sum + droppedByCause[cause], 0);
  const sent = after.guestDequeued + after.txDroppedInVhost - (before.guestDequeued + before.txDroppedInVhost);
  const arrived = bridgeReceived - announcements;
  return {
    sent,
    arrived,
    dropped,
    lostSilently: sent - dropped - arrived,
    onUplink: {
      primary: after.txPackets.primary - before.txPackets.primary,
      standby: after.txPackets.standby - before.txPackets.standby,
    },
    droppedByCause,
    announcements,
  };
}

/** Opens the books once the group is on its primary and its start-up announcements are out. */
export async function openLedger(t: Topology): Promise<FrameLedger> {
  await t.waitForActivePath('primary');
  await t.announcementsDone();
  const before = await t.groupStats();
  const bridgeBefore = t.netns.counters(BRIDGE).rxPackets;
  return {
    async close(what, { strict = true, quiet = false } = {}): Promise<Books> {
      await t.trafficStopped();
      await t.announcementsDone();
      const result = books(before, await t.groupStats(), t.netns.counters(BRIDGE).rxPackets - bridgeBefore);
      if (!quiet)
        console.log(
          `      guest sent ${result.sent}, bridge got ${result.arrived}, dropped ${result.dropped}, ` +
            `lost silently ${result.lostSilently} across ${what}`,
        );
      await waitFor('mbufs back at the baseline', async () => (await t.groupStats()).mbufsInUse === before.mbufsInUse);
      if (strict) {
        assert.equal(result.dropped, 0, `frames dropped across ${what}: ${JSON.stringify(result.droppedByCause)}`);
        assert.equal(result.lostSilently, 0, `frames lost across ${what}`);
      }
      return result;
    },
  };
}
