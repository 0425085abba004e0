// What an idle group costs, and what that costs the first frame: the daemon's threads' CPU and
// wake-ups over a window with no traffic (net_tap uplinks, a testpmd VM answering pings), then
// pings 200 ms apart, each of which finds the worker idle again. For the test and the bench.
import { GUEST_IP, labConfig, Topology, type TopologyOptions } from './topology';
import { percentile, pingRtts } from './ping-rtt';
import { measureThreads, type ThreadActivity } from './thread-activity';

export type IdleMode = 'rx interrupts' | 'timed back-off' | 'busy polling';

const MODES: Record<IdleMode, TopologyOptions> = {
  'rx interrupts': { rxInterrupts: true },
  'timed back-off': { rxInterrupts: false },
  'busy polling': { idleSleepMaxUs: 0 },
};

export interface IdleCost {
  mode: IdleMode;
  worker: ThreadActivity;
  linkMonitor: ThreadActivity;
  /** Round trips of pings that each found the worker idle, microseconds. */
  pingUs: { p50: number; p99: number; max: number };
  pings: { sent: number; received: number };
}

export async function measureIdleCost(mode: IdleMode, windowMs = 3000, pings = 30): Promise<IdleCost> {
  const topology = await Topology.start(labConfig(MODES[mode]));
  try {
    await topology.startVm('icmpecho');
    await topology.waitForActivePath('primary');
    await topology.announcementsDone();
    const threads = await measureThreads(topology.daemon!.pid, windowMs);
    const thread = (match: (name: string) => boolean) => {
      const found = threads.find((t) => match(t.name));
      if (!found) throw new Error(`no such thread among ${threads.map((t) => t.name).join(', ')}`);
      return found;
    };
    const ping = await pingRtts(topology.netns, GUEST_IP, pings, 0.2);
    const us = (q: number) => Math.round(percentile(ping.rttsUs, q));
    return {
      mode,
      worker: thread((name) => name.startsWith('rte-worker')),
      linkMonitor: thread((name) => name === 'vhfo-link-mon'),
      pingUs: { p50: us(0.5), p99: us(0.99), max: us(1) },
      pings: { sent: ping.sent, received: ping.received },
    };
  } finally {
    await topology.stop();
  }
}

export function describeIdleCost(cost: IdleCost): string {
  return (
    `${cost.mode}: idle worker ${cost.worker.cpuPercent}% CPU, ${cost.worker.wakeupsPerSecond} wake-ups/s; ` +
    `link monitor ${cost.linkMonitor.cpuPercent}% CPU, ${cost.linkMonitor.wakeupsPerSecond} wake-ups/s; ` +
    `pings through an idle worker p50 ${cost.pingUs.p50} us, p99 ${cost.pingUs.p99} us, ` +
    `${cost.pings.received}/${cost.pings.sent} answered`
  );
}
