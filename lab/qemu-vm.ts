// A real VM for the lab: QEMU (TCG: this machine has no usable KVM) boots a Debian kernel with
// a tiny initramfs (lab/qemu-guest/) and one virtio-net NIC on the group's vhost-user
// socket. Linux's own virtio-net driver then negotiates with the daemon, sends real traffic,
// and sets its receive filter through the control queue, which QEMU reports over QMP.
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import fs from 'fs';
import path from 'path';
import { qemu10Command } from './vf/qemu10';
import { waitFor } from './wait';

const GUEST_DIR = path.resolve(__dirname, '..', '..', 'lab', 'qemu-guest');
const IMAGE_DIR = path.resolve(__dirname, '..', '..', 'build', 'qemu-guest');
/** The guest's kernel and initramfs, as QemuVm.buildImage leaves them (libvirt's <kernel> and <initrd>). */
export const GUEST_IMAGE = {
  kernel: path.join(IMAGE_DIR, 'vmlinuz'),
  initrd: path.join(IMAGE_DIR, 'initramfs.cpio.gz'),
};
/** A Debian kernel package unpacked by scripts/setup-lab, never installed on the host. */
const KERNEL_DIR = path.resolve(__dirname, '..', '..', 'build', 'lab', 'guest-kernel');
/**
 * The guest's RAM, 256 MiB + 8 KiB: QEMU 7.2 under TCG loses dirty-page tracking on a RAM block
 * whose size is a multiple of 256 KiB (a store through a TLB entry already marked dirty stops
 * marking the page; fixed upstream in QEMU 9.0), so a migration with 4 or more dirty-bitmap passes
 * sends stale pages. Any size off that multiple avoids it; the memfd backing it has the same size.
 */
export const GUEST_RAM_KIB = 256 * 1024 + 8;

/** Which QEMU runs the guest: Debian 12's own (7.2), or 10.0 from bookworm-backports, unpacked. */
export type QemuRelease = 'system' | '10';

export interface QemuVmOptions {
  /** Where the QMP socket and the console log go. */
  dir: string;
  /** The daemon's vhost-user socket (the daemon is the server; QEMU connects). */
  vhostSocket: string;
  mac: string;
  /** eth0's address, e.g. 198.18.0.2/24. */
  address: string;
  /** The guest adds eth0.VLAN and joins this multicast group once eth0 is up. */
  vlan?: number;
  multicast?: string;
  /** The guest opens a TCP connection to IP:PORT every second (checksum offload at work). */
  tcpProbe?: string;
  /** QEMU's host_mtu: the MTU it advertises to the guest (VIRTIO_NET_F_MTU). */
  hostMtu?: number;
  /** The NIC's device id, as QMP names it. */
  device?: string;
  /**
   * How QEMU holds the vhost-user socket: 'client' (the daemon is the server; QEMU reconnects
   * every `reconnectS` seconds when it goes away) or 'server' (QEMU listens, the daemon connects).
   */
  vhostRole?: 'client' | 'server';
  reconnectS?: number;
  /** The guest takes one TCP stream on this port and prints its MD5 (GUEST-SINK). */
  sinkPort?: number;
  /**
   * false: no VIRTIO_NET_F_GUEST_ANNOUNCE, so after a migration QEMU asks the backend for a RARP
   * (VHOST_USER_SEND_RARP) instead of asking the guest to announce itself.
   */
  guestAnnounce?: boolean;
  /** The NIC's queue pairs (netdev queues=N, mq=on); 1 when absent. */
  queues?: number;
  /** Descriptors in each receive ring (rx_queue_size, 256 to 1024; QEMU's 256 when absent). */
  rxQueueSize?: number;
  /** vCPUs; Linux's virtio-net enables min(queue pairs, vCPUs) pairs at boot. 1 when absent. */
  cpus?: number;
  /**
   * Instead of vhost-user, QEMU's own virtio-net datapath on a tap it makes in this namespace
   * (QEMU then runs there): a control for what the backend does to guest memory.
   */
  qemuTap?: { netns: string; ifname: string };
  /** The guest's RAM in KiB (GUEST_RAM_KIB when absent): a multiple of 256 MiB shows QEMU 7.2's bug. */
  ramKiB?: number;
  /** 'system' when absent. */
  qemu?: QemuRelease;
}

/** The guest kernel's command line: the console, and what lab/qemu-guest/init.sh reads from guest.*. */
export function guestKernelCommandLine(
  options: Pick<QemuVmOptions, 'address' | 'vlan' | 'multicast' | 'tcpProbe' | 'sinkPort'>,
): string {
  return [
    'console=ttyS0',
    'quiet',
    'panic=-1',
    `guest.ip=${options.address}`,
    ...(options.vlan ? [`guest.vlan=${options.vlan}`] : []),
    ...(options.multicast ? [`guest.mcast=${options.multicast}`] : []),
    ...(options.tcpProbe ? [`guest.tcp=${options.tcpProbe}`] : []),
    ...(options.sinkPort ? [`guest.sink=${options.sinkPort}`] : []),
  ].join(' ');
}

function chardevRole(options: QemuVmOptions): string {
  if (options.vhostRole === 'server') return ',server=on,wait=off';
  return options.reconnectS ? `,reconnect=${options.reconnectS}` : '';
}

export class QemuVm {
  readonly qmpSocket: string;
  readonly device: string;
  private readonly consoleLog: string;
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    options: QemuVmOptions,
  ) {
    this.qmpSocket = path.join(options.dir, 'qmp.sock');
    this.device = options.device ?? 'nic0';
    this.consoleLog = path.join(options.dir, 'console.log');
    child.on('exit', () => (this.exited = true));
  }

  /** The guest image, built once (and again when init.sh changes). */
  static buildImage(): void {
    const built = spawnSync(path.join(GUEST_DIR, 'build-initramfs.sh'), [KERNEL_DIR, IMAGE_DIR], { encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`building the guest image failed: ${built.stderr}`);
  }

  /** Boots the guest and waits until its eth0 is up with its address. */
  static async start(options: QemuVmOptions): Promise<QemuVm> {
    QemuVm.buildImage();
    const { child, stderr } = QemuVm.spawn(options, []);
    const vm = new QemuVm(child, options);
    try {
      await vm.waitForConsole('GUEST-READY', 120000, stderr);
    } catch (err) {
      await vm.stop();
      throw err;
    }
    return vm;
  }

  /**
   * A live migration's destination: the same machine and devices (on another vhost-user socket
   * in `options`), waiting for the guest's state on `uri`. Resolves once its QMP socket and a unix
   * `uri`'s socket exist. `paused`: the guest stays stopped once its state has loaded (-S) until
   * QMP's `cont`, so its memory can be read as it arrived.
   */
  static async startIncoming(options: QemuVmOptions, uri: string, paused = false): Promise<QemuVm> {
    const { child, stderr } = QemuVm.spawn(options, ['-incoming', uri, ...(paused ? ['-S'] : [])]);
    const vm = new QemuVm(child, options);
    try {
      // An exit ends the wait at once (a throw would only be retried until the timeout).
      const listening = uri.startsWith('unix:') ? uri.slice('unix:'.length) : undefined;
      const seen = await waitFor('the destination QEMU to open its QMP and migration sockets', () =>
        vm.exited ? 'exited' : fs.existsSync(vm.qmpSocket) && (!listening || fs.existsSync(listening)) && 'open',
      );
      if (seen === 'exited') throw new Error(`QEMU exited: ${stderr()}`);
    } catch (err) {
      await vm.stop();
      throw err;
    }
    return vm;
  }

  private static spawn(options: QemuVmOptions, extra: string[]): { child: ChildProcess; stderr: () => string } {
    const device = options.device ?? 'nic0';
    const args = [
      ...[
        '-machine',
        'q35',
        '-accel',
        process.env.VHOST_FAILOVER_QEMU_ACCEL ?? 'tcg',
        '-smp',
        String(options.cpus ?? 1),
        '-m',
        `${options.ramKiB ?? GUEST_RAM_KIB}k`,
      ],
      ...['-nodefaults', '-display', 'none', '-no-reboot'],
      ...['-kernel', GUEST_IMAGE.kernel, '-initrd', GUEST_IMAGE.initrd],
      ...['-append', guestKernelCommandLine(options), '-serial', `file:${path.join(options.dir, 'console.log')}`],
      ...['-qmp', `unix:${path.join(options.dir, 'qmp.sock')},server=on,wait=off`],
      // vhost-user shares guest memory with the backend: a memfd, shared.
      ...[
        '-object',
        `memory-backend-memfd,id=mem,size=${options.ramKiB ?? GUEST_RAM_KIB}K,share=on`,
        '-numa',
        `node,memdev=mem`,
      ],
      ...(options.qemuTap
        ? ['-netdev', `tap,id=net0,ifname=${options.qemuTap.ifname},script=no,downscript=no,vhost=off`]
        : [
            ...['-chardev', `socket,id=vhost0,path=${options.vhostSocket}${chardevRole(options)}`],
            ...['-netdev', `vhost-user,id=net0,chardev=vhost0,queues=${options.queues ?? 1}`],
          ]),
      // vectors=0 (legacy interrupts): with MSI-X, Debian's QEMU 7.2 under TCG segfaults when the
      // guest starts a vhost-user NIC (msix_set_vector_notifiers reaches KVM-only code).
      ...[
        '-device',
        `virtio-net-pci,netdev=net0,id=${device},mac=${options.mac},vectors=0` +
          (options.hostMtu ? `,host_mtu=${options.hostMtu}` : '') +
          ((options.queues ?? 1) > 1 ? ',mq=on' : '') +
          (options.rxQueueSize ? `,rx_queue_size=${options.rxQueueSize}` : '') +
          (options.guestAnnounce === false ? ',guest_announce=off' : ''),
      ],
      ...extra,
    ];
    const qemu =
      options.qemu === '10' ? qemu10Command(args) : { argv: ['qemu-system-x86_64', ...args], env: process.env };
    const [command, ...argv] = options.qemuTap
      ? ['ip', 'netns', 'exec', options.qemuTap.netns, ...qemu.argv]
      : qemu.argv;
    const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'], env: qemu.env });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return { child, stderr: () => stderr };
  }

  /** The virtio-net feature bits the guest's driver negotiated (bit 0 first). */
  features(): string {
    return /GUEST-READY .*features=([01]+)/.exec(this.console())?.[1] ?? '';
  }

  /** QEMU's process, or undefined once it exited. */
  get pid(): number | undefined {
    return this.exited ? undefined : this.child.pid;
  }

  console(): string {
    try {
      return fs.readFileSync(this.consoleLog, 'utf8');
    } catch {
      return '';
    }
  }

  async waitForConsole(marker: string, timeoutMs = 60000, stderr: () => string = () => ''): Promise<void> {
    // An exit ends the wait at once (a throw would only be retried until the timeout).
    const seen = await waitFor(
      `the guest to print ${marker}`,
      () => (this.exited ? 'exited' : this.console().includes(marker) && 'printed'),
      timeoutMs,
      100,
    );
    if (seen === 'exited') throw new Error(`QEMU exited before ${marker}: ${stderr()}\n${this.console()}`);
  }

  /** SIGTERM, then SIGKILL; always by PID. */
  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    try {
      await waitFor('QEMU to exit', () => this.exited, 10000);
    } catch {
      this.child.kill('SIGKILL');
      await waitFor('QEMU to exit on SIGKILL', () => this.exited, 5000);
    }
  }
}
