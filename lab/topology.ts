// The lab topology (tests, demo, bench) of ../shared/DESIGN.md, all virtual:
//
//   testpmd "VM" (net_virtio_user) ── vhost-user ── daemon ──┬── primary net_tap ─────┐
//                                                            └── standby tap (own) ──┴── br0 (netns)
//
// The primary is a DPDK ethdev (net_tap), as a VF is; the standby a tap the daemon reads and
// writes itself (tap:NAME), as a host's standby is: both kinds run in every test that uses it.
//
// Everything it creates (namespace, taps, bridge, sockets, processes, hugepage files) goes away in
// stop(), whether the test passed or not.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { validateConfig, type Config } from '../src/config';
import { kernelInterface } from '../src/config/devargs-rules';
import { DaemonProcess } from './daemon-process';
import { Netns } from './netns';
import { QemuVm, type QemuVmOptions } from './qemu-vm';
import { startVm, type TestpmdVm, type VmOptions } from './testpmd-vm';
import { waitFor } from './wait';

export const BRIDGE_CIDR = '198.18.0.1/24';
export const GUEST_IP = '198.18.0.2';
export const BRIDGE = 'br0';

export interface TopologyOptions {
  /** The group's rx mode; the config's default (failover) when absent. */
  rx?: 'failover' | 'both' | 'active';
  linkPollIntervalUs?: number;
  failover?: object;
  metricsPort?: number;
  /** Allows the inject-removal and inject-stall control ops. */
  faultInjection?: boolean;
  /** More control settings (mode, group, operators, runtimeDirectories). */
  control?: object;
  /** Reads the guest's receive filter from the lab's QEMU VM (see startQemuVm). */
  qmp?: boolean;
  /** The worker's CPU; the last one when absent. */
  workerCpu?: number;
  /** How an idle worker waits (dataplane.idleSleepMaxUs, dataplane.rxInterrupts). */
  idleSleepMaxUs?: number;
  rxInterrupts?: boolean;
  /** The group's queue pairs (groups[].queues). */
  queues?: number;
  /** How each uplink's tap is reached: the daemon's own (tap:NAME) or DPDK's net_tap ethdev. */
  primaryTap?: TapKind;
  standbyTap?: TapKind;
}

export type TapKind = 'own' | 'net_tap';

function tapDevargs(kind: TapKind, index: number, iface: string): string {
  return kind === 'own' ? `tap:${iface}` : `net_tap${index},iface=${iface}`;
}

/** A one-group config with unique names, for tests that run side by side with anything else. */
export function labConfig(options: TopologyOptions = {}): Config {
  const id = `${process.pid % 10000}${Math.floor(Math.random() * 100)}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-test-'));
  return validateConfig({
    dataplane: {
      filePrefix: `vf-daemon-${id}`,
      workerCpus: [options.workerCpu ?? os.cpus().length - 1],
      mbufs: 8191,
      linkPollIntervalUs: options.linkPollIntervalUs ?? 1000,
      ...(options.idleSleepMaxUs !== undefined ? { idleSleepMaxUs: options.idleSleepMaxUs } : {}),
      ...(options.rxInterrupts !== undefined ? { rxInterrupts: options.rxInterrupts } : {}),
    },
    control: {
      socket: path.join(dir, 'control.sock'),
      faultInjection: options.faultInjection ?? false,
      ...options.control,
    },
    failover: options.failover ?? {},
    metrics: options.metricsPort ? { port: options.metricsPort } : {},
    groups: [
      {
        name: 'vm1',
        mac: '52:54:00:00:0f:01',
        ...(options.rx ? { rx: options.rx } : {}),
        ...(options.queues ? { queues: options.queues } : {}),
        vhost: { socket: path.join(dir, 'vm1.sock'), mode: 'server' },
        // The daemon puts both taps into the namespace's bridge itself, each time it makes them.
        primary: { devargs: tapDevargs(options.primaryTap ?? 'net_tap', 0, `vfp${id}`), bridge: BRIDGE },
        standby: { devargs: tapDevargs(options.standbyTap ?? 'own', 1, `vfs${id}`), bridge: BRIDGE },
        ...(options.qmp ? { qmp: { socket: path.join(dir, 'qmp.sock'), device: 'nic0' } } : {}),
      },
    ],
  });
}

/** The kernel interface of a tap uplink's devargs (tap:NAME, or net_tap's iface=NAME). */
export function tapName(devargs: string): string {
  const iface = kernelInterface(devargs);
  if (!iface) throw new Error(`the lab needs tap uplinks (tap:NAME or net_tap with iface=NAME), not "${devargs}"`);
  return iface;
}

export class Topology {
  readonly netns = new Netns('vf');
  readonly dir: string;
  readonly group: Config['groups'][number];
  readonly primaryTap: string;
  readonly standbyTap: string;
  readonly vhostSocket: string;
  readonly controlSocket: string;
  readonly filePrefix: string;
  daemon?: DaemonProcess;
  vm?: TestpmdVm;
  qemu?: QemuVm;

  private constructor(readonly config: Config) {
    this.group = config.groups[0];
    this.primaryTap = tapName(this.group.primary.devargs);
    this.standbyTap = tapName(this.group.standby.devargs);
    this.vhostSocket = this.group.vhost.socket;
    this.controlSocket = config.control.socket;
    this.filePrefix = config.dataplane.filePrefix;
    this.dir = path.dirname(this.controlSocket);
    fs.mkdirSync(this.dir, { recursive: true });
  }

  /**
   * Namespace, bridge, daemon (inside the namespace), whose taps join the bridge. `wrapper`: a
   * command the daemon runs under (DaemonProcess.launch).
   */
  static async start(config: Config = labConfig(), wrapper?: string[]): Promise<Topology> {
    const topology = new Topology(config);
    try {
      topology.netns.addBridge(BRIDGE, BRIDGE_CIDR);
      topology.daemon = await DaemonProcess.start(config, topology.dir, topology.netns, {}, wrapper);
    } catch (err) {
      await topology.stop();
      throw err;
    }
    return topology;
  }

  get bridgeMac(): string {
    const [link] = JSON.parse(this.netns.ip('-j', 'link', 'show', 'dev', BRIDGE)) as Array<{ address: string }>;
    return link.address;
  }

  /** Connects a testpmd VM and waits until the daemon sees the guest. */
  async startVm(mode: VmOptions['mode'], extra: Partial<VmOptions> = {}): Promise<TestpmdVm> {
    this.vm = await startVm({
      socket: this.vhostSocket,
      mac: this.group.mac,
      filePrefix: `${this.filePrefix}-vm`,
      mode,
      cpu: 0,
      ...extra,
    });
    await waitFor('the daemon to see the guest', async () => (await this.daemon!.status())[0].guestConnected);
    return this.vm;
  }

  /** Boots the QEMU VM on the group's socket (its QMP socket where labConfig({ qmp: true }) points). */
  async startQemuVm(extra: Partial<QemuVmOptions> = {}): Promise<QemuVm> {
    this.qemu = await QemuVm.start({
      dir: this.dir,
      vhostSocket: this.vhostSocket,
      mac: this.group.mac,
      address: `${GUEST_IP}/24`,
      ...extra,
    });
    await waitFor('the daemon to see the guest', async () => (await this.daemon!.status())[0].guestConnected);
    return this.qemu;
  }

  /** A VM sending 64-byte UDP frames to the bridge as fast as the path takes them. */
  startSender(): Promise<TestpmdVm> {
    return this.startVm('txonly', { peerMac: this.bridgeMac, txIp: [GUEST_IP, '198.18.0.99'] });
  }

  /** Waits until the guest's frames stop arriving at the daemon (after the VM's `stop`). */
  async trafficStopped(): Promise<void> {
    let last = -1;
    await waitFor(
      'traffic to stop',
      async () => {
        const now = (await this.groupStats()).guestDequeued;
        const still = now === last;
        last = now;
        return still;
      },
      10000,
      100,
    );
  }

  async groupStatus() {
    return (await this.daemon!.status())[0];
  }

  async groupStats() {
    const reply = await this.daemon!.stats();
    return { ...reply.groups[this.group.name], mbufsInUse: reply.mbufsInUse };
  }

  /** Waits until no MAC announcement round is still to come. */
  async announcementsDone(): Promise<void> {
    await waitFor('announcements to finish', async () => !(await this.groupStatus()).announcing, 10000);
  }

  async waitForActivePath(path: 'primary' | 'standby' | 'none', timeoutMs = 5000): Promise<void> {
    await waitFor(`active path ${path}`, async () => (await this.groupStatus()).activePath === path, timeoutMs, 5);
  }

  /** Hugepage files of this topology's DPDK processes (there should be none: --in-memory). */
  hugepageFiles(): string[] {
    if (!fs.existsSync('/dev/hugepages')) return [];
    return fs.readdirSync('/dev/hugepages').filter((file) => file.startsWith(this.filePrefix));
  }

  /**
   * Stops the daemon (SIGTERM, or SIGKILL as a crash) and starts a new one on the same config,
   * as an upgrade or a service restart would; resolves with when the new process was spawned.
   */
  async restartDaemon(how: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<number> {
    if (how === 'SIGKILL') this.daemon!.signal('SIGKILL');
    await this.daemon!.stop();
    const spawnedAt = Date.now();
    this.daemon = await DaemonProcess.start(this.config, this.dir, this.netns);
    return spawnedAt;
  }

  async stop(): Promise<void> {
    const problems: string[] = [];
    await this.vm?.stop().catch((err: Error) => problems.push(`vm: ${err.message}`));
    await this.qemu?.stop().catch((err: Error) => problems.push(`qemu: ${err.message}`));
    const code = await this.daemon?.stop().catch((err: Error) => problems.push(`daemon: ${err.message}`));
    this.netns.dispose();
    fs.rmSync(this.dir, { recursive: true, force: true });
    for (const file of this.hugepageFiles()) fs.rmSync(path.join('/dev/hugepages', file), { force: true });
    if (problems.length > 0) throw new Error(problems.join('; '));
    if (typeof code === 'number' && code !== 0) throw new Error(`daemon exited with ${code}:\n${this.daemon!.log}`);
  }
}
