// What the daemon in L1 took from its uplinks for frames the test put on the PF's wire: the
// frames sent, the PF seen to take them off the wire, then the daemon's counters read until they
// account for them all or stop growing.
import type { Netns } from '../netns';
import { waitFor } from '../wait';
import type { L1Daemon } from './l1-daemon';

export interface UplinkReceptions {
  primary: number;
  standby: number;
}

/** Frames the daemon took from each uplink of `group`: delivered to the guest, or dropped and counted. */
export async function uplinkReceptions(daemon: L1Daemon, group: string): Promise<UplinkReceptions> {
  const stats = (await daemon.stats()).groups[group];
  const from = (path: 'primary' | 'standby') =>
    stats.rxPackets[path] + stats.rxDroppedGuest[path] + stats.rxDroppedInactive[path];
  return { primary: from('primary'), standby: from('standby') };
}

/**
 * Runs `send` (which puts `count` frames on `wireTap`) and returns how many of them the daemon
 * took from each uplink. It waits up to `settleMs` for the primary to account for all `count`:
 * fewer is an answer, not an error.
 */
export async function receivedFromWire(
  netns: Netns,
  wireTap: string,
  daemon: L1Daemon,
  group: string,
  count: number,
  send: () => void,
  settleMs = 5000,
): Promise<UplinkReceptions> {
  const before = await uplinkReceptions(daemon, group);
  const delivered = netns.counters(wireTap).txPackets;
  send();
  await waitFor(
    'the PF to take the frames from the wire',
    () => netns.counters(wireTap).txPackets - delivered >= count,
    30000,
    100,
  );
  let after = before;
  await waitFor(
    'the daemon to count what the uplinks received',
    async () => {
      after = await uplinkReceptions(daemon, group);
      return after.primary - before.primary >= count;
    },
    settleMs,
    1000,
  ).catch(() => undefined);
  return { primary: after.primary - before.primary, standby: after.standby - before.standby };
}
