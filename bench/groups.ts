// Many groups on one worker: the aggregate rate and each group's share, guest -> network, 64-byte
// frames. The VM is one testpmd with a net_virtio_user port per group (one forwarding lcore
// sending on all of them in turn); the reference is testpmd io with as many vhost/net_null port
// pairs on one lcore. The distribution's DPDK allows 32 ports per process (RTE_MAX_ETHPORTS), and
// a group takes three, so ten groups is the most one daemon can hold.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { DaemonProcess } from '../lab/daemon-process';
import { Testpmd, testpmdEal } from '../lab/testpmd';
import { waitFor } from '../lab/wait';
import type { Switch } from './throughput';

const WORKER_CPU = os.cpus().length - 1;
const mac = (i: number) => `52:54:00:00:0c:${(i + 1).toString(16).padStart(2, '0')}`;

export interface GroupsResult {
  which: Switch;
  groups: number;
  aggregateMpps: number;
  /** Each group's Mpps, in group order. */
  perGroupMpps: number[];
  /** Slowest group over fastest. */
  fairness: number;
}

interface Stoppable {
  stop(): Promise<unknown>;
}

async function startSwitch(which: Switch, dir: string, sockets: string[]): Promise<Stoppable> {
  if (which === 'vhost-failover')
    return DaemonProcess.start(
      {
        dataplane: { filePrefix: `vf-bench-${process.pid}`, workerCpus: [WORKER_CPU] },
        control: { socket: path.join(dir, 'control.sock') },
        log: { level: 'warn' },
        groups: sockets.map((socket, i) => ({
          name: `vm${i}`,
          mac: mac(i),
          vhost: { socket, mode: 'server' },
          primary: { devargs: `net_null${2 * i},no-rx=1` },
          standby: { devargs: `net_null${2 * i + 1},no-rx=1` },
        })),
      },
      dir,
    );
  // Ports in pairs (vhost i, null i): io forwarding's default paired topology.
  const vdevs = sockets.flatMap((socket, i) => [`net_vhost${i},iface=${socket},queues=1`, `net_null${i},no-rx=1`]);
  const eal = testpmdEal(`vf-bench-ref-${process.pid}`, `0@0,1@${WORKER_CPU}`, vdevs);
  return Testpmd.start(eal, ['--nb-cores=1', '--forward-mode=io', '--total-num-mbufs=65536']);
}

export async function measureGroups(which: Switch, groups: number, windowMs = 3000): Promise<GroupsResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-bench-'));
  const sockets = Array.from({ length: groups }, (_, i) => path.join(dir, `vm${i}.sock`));
  let switchUnderTest: Stoppable | undefined;
  let vm: Testpmd | undefined;
  try {
    switchUnderTest = await startSwitch(which, dir, sockets);
    await waitFor('the vhost-user sockets', () => sockets.every((socket) => fs.existsSync(socket)), 20000);
    const vdevs = sockets.map((socket, i) => `net_virtio_user${i},path=${socket},mac=${mac(i)},queues=1`);
    vm = await Testpmd.start(testpmdEal(`vf-bench-vm-${process.pid}`, '0@0,1@0', vdevs), [
      '--nb-cores=1',
      '--total-num-mbufs=65536',
      '--forward-mode=txonly',
      '--txpkts=64',
    ]);
    const read = async () => {
      const frames: number[] = [];
      for (let port = 0; port < groups; port++) frames.push((await vm!.counters(port)).txPackets);
      return { at: process.hrtime.bigint(), frames };
    };
    await waitFor('traffic from every group', async () => (await read()).frames.every((n) => n > 100000), 20000, 50);
    const start = await read();
    await new Promise((resolve) => setTimeout(resolve, windowMs)); // the measurement window itself
    const end = await read();
    const seconds = Number(end.at - start.at) / 1e9;
    const perGroupMpps = end.frames.map((n, i) => Math.round(((n - start.frames[i]) / seconds / 1e6) * 1000) / 1000);
    const aggregateMpps = Math.round(perGroupMpps.reduce((sum, n) => sum + n, 0) * 100) / 100;
    const fairness = Math.round((Math.min(...perGroupMpps) / Math.max(...perGroupMpps)) * 100) / 100;
    return { which, groups, aggregateMpps, perGroupMpps, fairness };
  } finally {
    await vm?.stop();
    await switchUnderTest?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
