// Mpps of the switch side by side with the references in the same run: dpdk-testpmd
// io-forwarding between a vhost-user port and the same uplink (DPDK's own minimum), testpmd
// io-forwarding over DPDK's own failover ports (the bonding PMD in active-backup mode, the
// fail-safe PMD) in front of the two uplinks, and Open vSwitch with an active-backup bond
// (bench/ovs.ts). All are measured from the VM's side (a
// testpmd on net_virtio_user), with the same CPU placement: the VM on CPU 0, the forwarding
// lcore (our worker, testpmd's, OVS's PMD thread) on the last CPU. net_null uplinks keep the
// kernel out. Each measurement returns how the switch and the VM ran, as a lab would repeat it.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { DaemonProcess } from '../lab/daemon-process';
import { Testpmd, testpmdEal } from '../lab/testpmd';
import { startVm, vmArgs, type TestpmdVm, type VmOptions } from '../lab/testpmd-vm';
import { waitFor } from '../lab/wait';
import { PrivateOvs } from './ovs';
import { shellLine } from './shell-line';

export type Direction = 'guestToNetwork' | 'networkToGuest';
/** ovs-bond-flooding: Open vSwitch as the runs before 2026-12-06 set it up (bench/ovs.ts). */
export type Switch =
  'vhost-failover' | 'testpmd-io' | 'testpmd-bond' | 'testpmd-failsafe' | 'ovs-bond' | 'ovs-bond-flooding';

/** How a switch and the VM ran: shell lines ($DIR: the measurement's temporary directory). */
export interface Configuration {
  switch: string[];
  vm: string[];
}

export interface Measurement {
  pps: number;
  configuration: Configuration;
}

const GUEST_MAC = '52:54:00:00:0b:01';
// Where the VM's frames go (txonly's destination), and what net_null's zeroed frames carry.
const NETWORK_MAC = '02:00:00:00:0b:02';
const NULL_SOURCE_MAC = '00:00:00:00:00:00';
const NULL_SINK = 'no-rx=1';
const nullSource = (frameBytes: number) => `copy=1,size=${frameBytes}`;
// Frames past a standard Ethernet MTU need a jumbo MTU on the switch and mbufs that hold one.
const jumbo = (frameBytes: number) => frameBytes > 1518;
const JUMBO_MTU = 9000;
const JUMBO_MBUF_ARGS = ['--mbuf-size=10240', `--max-pkt-len=${JUMBO_MTU + 18}`];
const WORKER_CPU = os.cpus().length - 1;

interface SwitchUnderTest {
  stop(): Promise<unknown>;
  /** Its set-up as shell lines. */
  configuration: string[];
}

async function startDaemon(
  dir: string,
  socket: string,
  direction: Direction,
  frameBytes: number,
  queues: number,
): Promise<SwitchUnderTest> {
  const primary = direction === 'networkToGuest' ? nullSource(frameBytes) : NULL_SINK;
  const config = {
    // The default configuration otherwise: what an operator runs is what is measured.
    dataplane: { filePrefix: `vf-bench-${process.pid}`, workerCpus: [WORKER_CPU] },
    control: { socket: path.join(dir, 'control.sock') },
    log: { level: 'warn' },
    groups: [
      {
        name: 'bench',
        mac: GUEST_MAC,
        ...(jumbo(frameBytes) ? { mtu: JUMBO_MTU } : {}),
        ...(queues > 1 ? { queues } : {}),
        vhost: { socket, mode: 'server' },
        primary: { devargs: `net_null0,${primary}` },
        standby: { devargs: `net_null1,${NULL_SINK}` },
      },
    ],
  };
  const daemon = await DaemonProcess.start(config, dir);
  const configuration = [
    `# vhost-failover run --config $DIR/config.json, $DIR/config.json holding:`,
    JSON.stringify(config).split(dir).join('$DIR'),
  ];
  return { stop: () => daemon.stop(), configuration };
}

// testpmd io between the vhost port and the uplink ('io'), or a DPDK failover port in front of
// the two uplinks: the bonding PMD in mode 1 (active-backup, primary the first) or the fail-safe
// PMD, whose slaves or sub-devices the uplinks are; only the vhost port and that port forward.
function testpmdVdevs(over: 'io' | 'bond' | 'failsafe', socket: string, active: string, queues: number): string[] {
  const vhost = `net_vhost0,iface=${socket},queues=${queues}`;
  if (over === 'io') return [vhost, `net_null0,${active}`];
  if (over === 'failsafe') return [vhost, `net_failsafe0,dev(net_null0,${active}),dev(net_null1,${NULL_SINK})`];
  const bond = 'net_bonding0,mode=1,slave=net_null0,slave=net_null1,primary=net_null0';
  return [vhost, `net_null0,${active}`, `net_null1,${NULL_SINK}`, bond];
}

async function startTestpmd(
  over: 'io' | 'bond' | 'failsafe',
  socket: string,
  direction: Direction,
  frameBytes: number,
  queues: number,
): Promise<SwitchUnderTest> {
  const active = direction === 'networkToGuest' ? nullSource(frameBytes) : NULL_SINK;
  const eal = testpmdEal(
    `vf-bench-ref-${process.pid}`,
    `0@0,1@${WORKER_CPU}`,
    testpmdVdevs(over, socket, active, queues),
  );
  const app = [
    '--nb-cores=1',
    '--forward-mode=io',
    '--total-num-mbufs=16384',
    ...(queues > 1 ? [`--rxq=${queues}`, `--txq=${queues}`] : []),
    // Ports 0 (vhost) and 3 (the bond); the fail-safe port's sub-devices are not ports.
    ...(over === 'bond' ? ['--portmask=0x9'] : []),
    ...(jumbo(frameBytes) ? JUMBO_MBUF_ARGS : []),
  ];
  const testpmd = await Testpmd.start(eal, app);
  return { stop: () => testpmd.stop(), configuration: [testpmdLine(eal, app, path.dirname(socket))] };
}

/** testpmd as the lab starts it: interactive, then `start` at its prompt. */
function testpmdLine(eal: string[], app: string[], dir: string): string {
  return `${shellLine(['dpdk-testpmd', ...eal, '--', '-i', ...app], dir)}   # then 'start' at its prompt`;
}

// `flooding`: as the runs before 2026-12-06 set it up, NORMAL with nothing learned guest →
// network and an OpenFlow rule network → guest; otherwise NORMAL both ways with both ends'
// MACs learned (bench/ovs.ts says why).
async function startOvs(
  dir: string,
  socket: string,
  direction: Direction,
  frameBytes: number,
  flooding: boolean,
): Promise<SwitchUnderTest> {
  const active = direction === 'networkToGuest' ? nullSource(frameBytes) : NULL_SINK;
  const ovs = await PrivateOvs.start({
    dir,
    filePrefix: `vf-bench-ovs-${process.pid}`,
    mainCpu: 0,
    pmdCpu: WORKER_CPU,
    vhostSocket: socket,
    uplinks: [`net_null0,${active}`, `net_null1,${NULL_SINK}`],
    ...(flooding
      ? { uplinkToVmFlow: direction === 'networkToGuest' }
      : { learnedMacs: { network: NETWORK_MAC, guest: NULL_SOURCE_MAC } }),
    ...(jumbo(frameBytes) ? { mtu: JUMBO_MTU } : {}),
  });
  return { stop: () => ovs.stop(), configuration: ovs.commands };
}

/** Frames per second the VM sent (guest -> network) or received (network -> guest). */
async function vmRatePps(vm: TestpmdVm, direction: Direction, frameBytes: number, windowMs: number): Promise<number> {
  const read = async () => {
    const counters = await vm.counters();
    const out = direction === 'guestToNetwork';
    return {
      at: process.hrtime.bigint(),
      frames: out ? counters.txPackets : counters.rxPackets,
      bytes: out ? counters.txBytes : counters.rxBytes,
    };
  };
  await waitFor('traffic through the switch', async () => (await read()).frames > 100000, 20000, 50);
  const start = await read();
  await new Promise((resolve) => setTimeout(resolve, windowMs)); // the measurement window itself
  const end = await read();
  // A frame size a program did not take (testpmd keeps 64-byte frames if it refuses --txpkts)
  // would be measured as the wrong case.
  const perFrame = (end.bytes - start.bytes) / (end.frames - start.frames);
  if (Math.abs(perFrame - frameBytes) > 4)
    throw new Error(`the VM counted ${perFrame.toFixed(0)} bytes a frame, not ${frameBytes}`);
  return ((end.frames - start.frames) * 1e9) / Number(end.at - start.at);
}

/** `queues`: queue pairs of the VM's port and of the switch's (testpmd io and the daemon only). */
export async function measure(
  which: Switch,
  direction: Direction,
  frameBytes: number,
  windowMs = 3000,
  queues = 1,
): Promise<Measurement> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-bench-'));
  const socket = path.join(dir, 'vhost.sock');
  let switchUnderTest: SwitchUnderTest | undefined;
  let vm: TestpmdVm | undefined;
  try {
    // With OVS the VM is the vhost-user server (OVS's dpdkvhostuserclient connects to it).
    const vmServes = which === 'ovs-bond' || which === 'ovs-bond-flooding';
    if (which === 'vhost-failover') switchUnderTest = await startDaemon(dir, socket, direction, frameBytes, queues);
    else if (which === 'testpmd-io') switchUnderTest = await startTestpmd('io', socket, direction, frameBytes, queues);
    else if (which === 'testpmd-bond') switchUnderTest = await startTestpmd('bond', socket, direction, frameBytes, 1);
    else if (which === 'testpmd-failsafe')
      switchUnderTest = await startTestpmd('failsafe', socket, direction, frameBytes, 1);
    else if (queues === 1)
      switchUnderTest = await startOvs(dir, socket, direction, frameBytes, which === 'ovs-bond-flooding');
    else throw new Error('the bench runs Open vSwitch with one queue pair only');
    if (!vmServes) await waitFor('the vhost-user socket', () => fs.existsSync(socket), 10000);
    const vmOptions: VmOptions = {
      vhostServer: vmServes,
      frameBytes,
      ...(jumbo(frameBytes) ? { extraArgs: JUMBO_MBUF_ARGS } : {}),
      socket,
      mac: GUEST_MAC,
      peerMac: NETWORK_MAC,
      filePrefix: `vf-bench-vm-${process.pid}`,
      mode: direction === 'guestToNetwork' ? 'txonly' : 'rxonly',
      cpu: 0,
      queues,
    };
    vm = await startVm(vmOptions);
    const { eal, app } = vmArgs(vmOptions);
    const pps = await vmRatePps(vm, direction, frameBytes, windowMs);
    return { pps, configuration: { switch: switchUnderTest.configuration, vm: [testpmdLine(eal, app, dir)] } };
  } finally {
    await vm?.stop();
    await switchUnderTest?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
