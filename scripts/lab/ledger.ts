// Frames counted from the guest's side across a change of path: what the guest sent must reach
// the namespace's bridge, nothing may be dropped, and every mbuf must come back.
import { strict as assert } from 'assert';
import { BRIDGE, type Topology } from './topology';
import { waitFor } from './wait';

export interface Books {
  sent: number;
  arrived: number;
  dropped: number;
}

export interface FrameLedger {
  /**
   * Waits for the guest's traffic (stopped by the caller) to drain and every mbuf to come back,
   * prints the books and, unless `strict` is false, requires nothing lost or dropped.
   */
  close(what: string, strict?: boolean): Promise<Books>;
}

/**
 * Counts from the guest's side: what the guest sent must reach the bridge (less our own
 * announcement broadcasts), nothing may be dropped, and every mbuf must come back.
 */
export async function openLedger(t: Topology): Promise<FrameLedger> {
  await t.waitForActivePath('primary');
  await t.announcementsDone();
  const before = await t.groupStats();
  const bridgeBefore = t.netns.counters(BRIDGE).rxPackets;
  const announced = (stats: Awaited<ReturnType<Topology['groupStats']>>) =>
    stats.announcementsSent.primary +
    stats.announcementsSent.standby +
    stats.garpsSent.primary +
    stats.garpsSent.standby;
  return {
    async close(what: string, strict = true): Promise<Books> {
      await t.trafficStopped();
      await t.announcementsDone();
      const stats = await t.groupStats();
      const droppedOf = (s: typeof stats) => s.txDroppedNoPath + s.txDroppedFull.primary + s.txDroppedFull.standby;
      const books = {
        sent: stats.guestDequeued - before.guestDequeued,
        arrived: t.netns.counters(BRIDGE).rxPackets - bridgeBefore - (announced(stats) - announced(before)),
        dropped: droppedOf(stats) - droppedOf(before),
      };
      console.log(
        `      guest sent ${books.sent}, bridge got ${books.arrived}, dropped ${books.dropped} across ${what}`,
      );
      await waitFor('mbufs back at the baseline', async () => (await t.groupStats()).mbufsInUse === before.mbufsInUse);
      if (!strict) return books;
      assert.equal(books.dropped, 0);
      assert.equal(books.arrived, books.sent, `frames lost across ${what}`);
      return books;
    },
  };
}
