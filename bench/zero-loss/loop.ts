// The switch under test between the generator's two ports: port 0 is the VM (net_virtio_user on
// the switch's vhost-user socket), port 1 the network (net_memif on the socket of the switch's
// uplink). The switch owns both sockets, as a vSwitch owns its vhost-user and memif ports; the
// generator connects once they exist. CPUs: the switch's forwarding lcore on the last CPU, the
// generator on CPU 0 (the VM's CPU in the rest of the bench).
import fs from 'fs';
import os from 'os';
import path from 'path';
import { DaemonProcess } from '../../lab/daemon-process';
import { Testpmd, testpmdEal } from '../../lab/testpmd';
import { waitFor } from '../../lab/wait';
import { Generator, type TrialResult, type TrialSpec } from './generator';

export type LoopSwitch = 'vhost-failover' | 'testpmd-io';
export type LoopDirection = 'guestToNetwork' | 'networkToGuest' | 'both';

export const GUEST_PORT = 0;
export const NETWORK_PORT = 1;
const GUEST_MAC = '52:54:00:00:0b:01';
const NETWORK_MAC = '02:00:00:00:0b:02';
const WORKER_CPU = os.cpus().length - 1;
export const GENERATOR_CPU = 0;
// A VM tuned for packet rates: QEMU's rx_queue_size/tx_queue_size=1024 (virtio_user's default
// is 256); it rides out ~4x longer stalls of the other end.
const VIRTQUEUE_SIZE = 1024;

export const CORE_LAYOUT = {
  generator: `CPU ${GENERATOR_CPU} (one lcore: paced transmit and receive on both ports)`,
  switchForwarding: `CPU ${WORKER_CPU} (the daemon's worker, testpmd's forwarding lcore)`,
  switchControl: 'CPU 0 (testpmd main lcore; the daemon has no pinned control thread)',
};

export const txPortsOf = (direction: LoopDirection): number[] =>
  direction === 'guestToNetwork'
    ? [GUEST_PORT]
    : direction === 'networkToGuest'
      ? [NETWORK_PORT]
      : [GUEST_PORT, NETWORK_PORT];

interface Stoppable {
  stop(): Promise<unknown>;
}

function memifServer(dir: string): string {
  return `net_memif0,role=server,socket=${path.join(dir, 'memif.sock')},socket-abstract=no`;
}

/** The daemon's configuration in the loop: the defaults, a memif primary and a null standby. */
export function loopDaemonConfig(dir: string): object {
  return {
    dataplane: { filePrefix: `vf-zl-${process.pid}`, workerCpus: [WORKER_CPU] },
    control: { socket: path.join(dir, 'control.sock') },
    log: { level: 'warn' },
    groups: [
      {
        name: 'bench',
        mac: GUEST_MAC,
        vhost: { socket: path.join(dir, 'vhost.sock'), mode: 'server' },
        primary: { devargs: memifServer(dir) },
        standby: { devargs: 'net_null1,no-rx=1' },
      },
    ],
  };
}

async function startSwitch(which: LoopSwitch, dir: string): Promise<Stoppable> {
  if (which === 'vhost-failover') return DaemonProcess.start(loopDaemonConfig(dir), dir);
  const vdevs = [`net_vhost0,iface=${path.join(dir, 'vhost.sock')},queues=1`, memifServer(dir)];
  return Testpmd.start(testpmdEal(`vf-zl-ref-${process.pid}`, `0@0,1@${WORKER_CPU}`, vdevs), [
    '--nb-cores=1',
    '--forward-mode=io',
    '--total-num-mbufs=16384',
  ]);
}

export class Loop {
  private constructor(
    readonly which: LoopSwitch,
    private readonly dir: string,
    private readonly switchUnderTest: Stoppable,
    readonly generator: Generator,
  ) {}

  /** Starts the switch, then the generator, and waits until frames pass both ways without loss. */
  static async start(which: LoopSwitch): Promise<Loop> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-zl-'));
    let switchUnderTest: Stoppable | undefined;
    let generator: Generator | undefined;
    try {
      switchUnderTest = await startSwitch(which, dir);
      const sockets = ['vhost.sock', 'memif.sock'].map((name) => path.join(dir, name));
      await waitFor("the switch's sockets", () => sockets.every((socket) => fs.existsSync(socket)), 20000);
      generator = await Generator.start({
        filePrefix: `vf-zl-gen-${process.pid}`,
        cpu: GENERATOR_CPU,
        vdevs: [
          `net_virtio_user0,path=${sockets[0]},mac=${GUEST_MAC},queues=1,queue_size=${VIRTQUEUE_SIZE}`,
          `net_memif0,role=client,socket=${sockets[1]},socket-abstract=no`,
        ],
        ports: [
          { src: GUEST_MAC, dst: NETWORK_MAC },
          { src: NETWORK_MAC, dst: GUEST_MAC },
        ],
      });
      if (!(await generator.linksUp(10000))) throw new Error('the generator’s links did not come up');
      const loop = new Loop(which, dir, switchUnderTest, generator);
      // The daemon uses its primary once it has been up for failbackDelayMs (2 s by default).
      await waitFor(
        'frames through the switch both ways',
        async () => {
          const result = await loop.trial({ ratePps: 10000, seconds: 0.2, sizes: '64' }, 'both');
          return result.lost === 0 && result.ports.every((p) => p.receivedOn[1 - p.port] === p.offered);
        },
        20000,
        100,
      );
      return loop;
    } catch (err) {
      await generator?.stop();
      await switchUnderTest?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  trial(spec: Omit<TrialSpec, 'txPorts'>, direction: LoopDirection): Promise<TrialResult> {
    return this.generator.trial({ ...spec, txPorts: txPortsOf(direction) });
  }

  async stop(): Promise<void> {
    await this.generator.stop();
    await this.switchUnderTest.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
