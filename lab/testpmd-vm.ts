// The "VM": dpdk-testpmd with a net_virtio_user port on the group's vhost-user socket.
import fs from 'fs';
import { Testpmd, testpmdEal } from './testpmd';

export type ForwardMode = 'txonly' | 'rxonly' | 'macswap' | 'icmpecho' | 'io';

export interface VmOptions {
  socket: string;
  mac: string;
  filePrefix: string;
  mode: ForwardMode;
  /** Destination MAC of txonly frames. */
  peerMac?: string;
  /** Source and destination IPv4 of txonly frames. */
  txIp?: [string, string];
  /** Both testpmd lcores (main, forwarding) share this CPU; the switch's worker has the other. */
  cpu?: number;
  /** The VM listens on the socket (as QEMU with server=on) and the switch connects to it. */
  vhostServer?: boolean;
  /** Length of txonly frames (without FCS); 64 when absent. */
  frameBytes?: number;
  /** More testpmd application arguments (mbuf size for jumbo frames). */
  extraArgs?: string[];
  /**
   * Queue pairs the VM's virtio port offers and enables (virtio_user queues=N with a control
   * queue, testpmd --rxq/--txq N: one forwarding stream per queue); 1 when absent.
   */
  queues?: number;
}

export type TestpmdVm = Testpmd & { readonly options: VmOptions };

/** testpmd's EAL and application arguments for the VM (without -i, which Testpmd adds). */
export function vmArgs(options: VmOptions): { eal: string[]; app: string[] } {
  const cpu = options.cpu ?? 0;
  const queues = options.queues ?? 1;
  // Multi-queue needs the control queue: the virtio PMD enables its queue pairs with a command.
  const mq = queues > 1 ? `queues=${queues},cq=1` : 'queues=1';
  const eal = testpmdEal(options.filePrefix, `0@${cpu},1@${cpu}`, [
    `net_virtio_user0,path=${options.socket},mac=${options.mac},${mq}${options.vhostServer ? ',server=1' : ''}`,
  ]);
  // The mbuf size before --txpkts: testpmd checks a segment against the size set so far.
  const app = ['--nb-cores=1', '--total-num-mbufs=8192', ...(options.extraArgs ?? [])];
  if (queues > 1) app.push(`--rxq=${queues}`, `--txq=${queues}`);
  app.push(`--forward-mode=${options.mode}`, `--txpkts=${options.frameBytes ?? 64}`);
  if (options.peerMac) app.push(`--eth-peer=0,${options.peerMac}`);
  if (options.txIp) app.push(`--tx-ip=${options.txIp[0]},${options.txIp[1]}`);
  return { eal, app };
}

export async function startVm(options: VmOptions): Promise<TestpmdVm> {
  // QEMU unlinks a listening socket's path before it binds; testpmd refuses a path a killed
  // testpmd left behind, so the lab does what QEMU would.
  if (options.vhostServer) fs.rmSync(options.socket, { force: true });
  const { eal, app } = vmArgs(options);
  return Object.assign(await Testpmd.start(eal, app), { options });
}
