// Round-trip latency through the switch, side by side with testpmd io-forwarding in the same
// run: ping from a namespace's bridge, through a tap, the switch and vhost-user, to a testpmd VM
// that answers (icmpecho), and back. The kernel's share (ping, the bridge, the tap) is the same
// on both sides, so the difference is the switches'. At a low rate every echo finds the switch
// idle; at a high rate it is kept busy. The daemon runs three ways: its default (the timed
// back-off between echoes), asleep on rx interrupts, and busy polling as testpmd does, which
// leaves only what forwarding through it costs.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Netns } from '../lab/netns';
import { percentile, pingRtts } from '../lab/ping-rtt';
import { Testpmd, testpmdEal } from '../lab/testpmd';
import { startVm, type TestpmdVm } from '../lab/testpmd-vm';
import { BRIDGE, BRIDGE_CIDR, GUEST_IP, labConfig, Topology } from '../lab/topology';
import { waitFor } from '../lab/wait';

const WORKER_CPU = os.cpus().length - 1;
const GUEST_MAC = '52:54:00:00:0d:01';

export interface LatencyRate {
  label: string;
  intervalS: number;
  count: number;
}

export const RATES: LatencyRate[] = [
  { label: '100 pps', intervalS: 0.01, count: 1000 },
  { label: '5,000 pps', intervalS: 0.0002, count: 10000 },
];

/** The switches measured, in the order of the report. */
export const LATENCY_SWITCHES = ['testpmd-io', 'vhost-failover', 'vhost-failover-irq', 'vhost-failover-busy'] as const;
type LatencySwitch = (typeof LATENCY_SWITCHES)[number];

/** How each of the daemon's runs idles between echoes. */
const DAEMON_IDLE: Record<Exclude<LatencySwitch, 'testpmd-io'>, { rxInterrupts?: boolean; idleSleepMaxUs?: number }> = {
  'vhost-failover': {},
  'vhost-failover-irq': { rxInterrupts: true },
  'vhost-failover-busy': { idleSleepMaxUs: 0 },
};

export interface LatencyResult {
  which: LatencySwitch;
  rate: string;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  lost: number;
}

async function pingAll(which: LatencyResult['which'], netns: Netns): Promise<LatencyResult[]> {
  const results: LatencyResult[] = [];
  for (const rate of RATES) {
    const ping = await pingRtts(netns, GUEST_IP, rate.count, rate.intervalS);
    const us = (q: number) => Math.round(percentile(ping.rttsUs, q));
    results.push({
      which,
      rate: rate.label,
      p50Us: us(0.5),
      p99Us: us(0.99),
      p999Us: us(0.999),
      lost: ping.sent - ping.received,
    });
  }
  return results;
}

async function throughDaemon(which: keyof typeof DAEMON_IDLE): Promise<LatencyResult[]> {
  const topology = await Topology.start(labConfig(DAEMON_IDLE[which]));
  try {
    await topology.startVm('icmpecho');
    await topology.waitForActivePath('primary');
    await topology.announcementsDone();
    return await pingAll(which, topology.netns);
  } finally {
    await topology.stop();
  }
}

async function throughTestpmd(): Promise<LatencyResult[]> {
  const netns = new Netns('vf-lat');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-bench-'));
  const socket = path.join(dir, 'vhost.sock');
  const tap = `vflat${process.pid % 10000}`;
  let reference: Testpmd | undefined;
  let vm: TestpmdVm | undefined;
  try {
    netns.addBridge(BRIDGE, BRIDGE_CIDR);
    const eal = testpmdEal(`vf-bench-ref-${process.pid}`, `0@0,1@${WORKER_CPU}`, [
      `net_vhost0,iface=${socket},queues=1`,
      `net_tap0,iface=${tap}`,
    ]);
    reference = await Testpmd.start(eal, ['--nb-cores=1', '--forward-mode=io', '--total-num-mbufs=16384'], netns.name);
    netns.ip('link', 'set', tap, 'master', BRIDGE, 'up');
    await waitFor('the vhost-user socket', () => fs.existsSync(socket), 10000);
    vm = await startVm({ socket, mac: GUEST_MAC, filePrefix: `vf-bench-vm-${process.pid}`, mode: 'icmpecho', cpu: 0 });
    return await pingAll('testpmd-io', netns);
  } finally {
    await vm?.stop();
    await reference?.stop();
    netns.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function measureLatency(which: LatencyResult['which']): Promise<LatencyResult[]> {
  return which === 'testpmd-io' ? throughTestpmd() : throughDaemon(which);
}
