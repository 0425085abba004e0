// The lab topology (tests, demo, bench) of ../shared/DESIGN.md, all virtual:
//
//   testpmd "VM" (net_virtio_user) ── vhost-user ── daemon ──┬── primary net_tap ──┐
//                                                            └── standby net_tap ──┴── br0 (netns)
//
// Everything it creates (namespace, taps, bridge, sockets, processes, hugepage files) goes away in
// stop(), whether the test passed or not.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { DaemonProcess } from './daemon-process';
import { Netns } from './netns';
import { startVm, type TestpmdVm, type VmOptions } from './testpmd-vm';
import { waitFor } from './wait';

export const GUEST_MAC = '52:54:00:00:0f:01';
export const BRIDGE_CIDR = '198.18.0.1/24';
export const BRIDGE_IP = '198.18.0.1';
export const GUEST_IP = '198.18.0.2';
export const BRIDGE = 'br0';

export interface TopologyOptions {
  rx?: 'both' | 'active';
  linkPollIntervalUs?: number;
}

export class Topology {
  readonly id = `${process.pid % 10000}${Math.floor(Math.random() * 100)}`;
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-test-'));
  readonly netns = new Netns('vf');
  readonly primaryTap = `vfp${this.id}`;
  readonly standbyTap = `vfs${this.id}`;
  readonly vhostSocket = path.join(this.dir, 'vm1.sock');
  readonly controlSocket = path.join(this.dir, 'control.sock');
  readonly filePrefix = `vf-daemon-${this.id}`;
  daemon?: DaemonProcess;
  vm?: TestpmdVm;

  static async start(options: TopologyOptions = {}): Promise<Topology> {
    const topology = new Topology();
    try {
      await topology.startDaemon(options);
    } catch (err) {
      await topology.stop();
      throw err;
    }
    return topology;
  }

  config(options: TopologyOptions): object {
    return {
      dataplane: {
        filePrefix: this.filePrefix,
        workerCpus: [os.cpus().length - 1],
        mbufs: 8191,
        linkPollIntervalUs: options.linkPollIntervalUs ?? 1000,
        idleSleepMaxUs: 200,
      },
      control: { socket: this.controlSocket },
      log: { level: 'info' },
      groups: [
        {
          name: 'vm1',
          mac: GUEST_MAC,
          rx: options.rx ?? 'both',
          vhost: { socket: this.vhostSocket, mode: 'server' },
          primary: { devargs: `net_tap0,iface=${this.primaryTap}` },
          standby: { devargs: `net_tap1,iface=${this.standbyTap}` },
        },
      ],
    };
  }

  private async startDaemon(options: TopologyOptions): Promise<void> {
    this.netns.addBridge(BRIDGE, BRIDGE_CIDR);
    this.daemon = await DaemonProcess.start(this.config(options), this.dir, this.netns);
    for (const tap of [this.primaryTap, this.standbyTap]) this.netns.ip('link', 'set', tap, 'master', BRIDGE);
  }

  get bridgeMac(): string {
    const [link] = JSON.parse(this.netns.ip('-j', 'link', 'show', 'dev', BRIDGE)) as Array<{ address: string }>;
    return link.address;
  }

  /** Connects a testpmd VM and waits until the daemon sees the guest. */
  async startVm(mode: VmOptions['mode'], extra: Partial<VmOptions> = {}): Promise<TestpmdVm> {
    this.vm = await startVm({
      socket: this.vhostSocket,
      mac: GUEST_MAC,
      filePrefix: `vf-vm-${this.id}`,
      mode,
      cpu: 0,
      ...extra,
    });
    await waitFor('the daemon to see the guest', async () => (await this.daemon!.status())[0].guestConnected);
    return this.vm;
  }

  async groupStatus() {
    return (await this.daemon!.status())[0];
  }

  async groupStats() {
    const reply = await this.daemon!.stats();
    return { ...reply.groups.vm1, mbufsInUse: reply.mbufsInUse };
  }

  async waitForActivePath(path: 'primary' | 'standby' | 'none', timeoutMs = 5000): Promise<void> {
    await waitFor(`active path ${path}`, async () => (await this.groupStatus()).activePath === path, timeoutMs, 5);
  }

  async stop(): Promise<void> {
    const problems: string[] = [];
    await this.vm?.stop().catch((err: Error) => problems.push(`vm: ${err.message}`));
    const code = await this.daemon?.stop().catch((err: Error) => problems.push(`daemon: ${err.message}`));
    this.netns.dispose();
    fs.rmSync(this.dir, { recursive: true, force: true });
    for (const file of fs.existsSync('/dev/hugepages') ? fs.readdirSync('/dev/hugepages') : [])
      if (file.startsWith(this.filePrefix) || file.startsWith(`vf-vm-${this.id}`))
        fs.rmSync(path.join('/dev/hugepages', file), { force: true });
    if (problems.length > 0) throw new Error(problems.join('; '));
    if (typeof code === 'number' && code !== 0) throw new Error(`daemon exited with ${code}:\n${this.daemon!.log}`);
  }
}
