// The set-up every VF lab test shares, as mocha hooks: an L1 host (lab/vf/l1-vm.ts) whose PF's
// wire is a tap in the test's namespace, its VFs created, VF 0 readied by prepare-vf; then, as a
// test asks, the daemon with VF 0 as the primary of group vm1 and a tap standby, and a testpmd
// guest. Whatever fails, nothing of L1 outlives the file, and a failed file keeps L1's files and
// prints what L1, the daemon and the test's own reports said.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Netns } from '../netns';
import type { ForwardMode, VmOptions } from '../testpmd-vm';
import { waitFor } from '../wait';
import { L1Daemon, L1_DAEMON_DIR } from './l1-daemon';
import { L1Testpmd } from './l1-testpmd';
import { L1Vm, L1_CHECKOUT } from './l1-vm';
import { qemu10Installed } from './qemu10';
import { createVfsOnEveryPf, type SriovPf } from './sriov';

/** The tap in the test's namespace that is the PF's wire. */
export const WIRE_TAP = 'pfwire';
/** PF i's wire: WIRE_TAP for the first, pfwire1, pfwire2, ... for the others. */
export const wireTapOf = (pf: number): string => (pf === 0 ? WIRE_TAP : `${WIRE_TAP}${pf}`);
/** The group's standby: a tap in L1. */
export const STANDBY_TAP = 'sb0';

export interface VfLabOptions {
  /** Names the namespace, the directory of L1's files and the DPDK file prefixes. */
  name: string;
  guestMac: string;
  /** VFs created on each PF (2 unless given). */
  vfs?: number;
  /** 82576 PFs in L1, each with its own wire (1 unless given). */
  pfs?: number;
  /** L1's PID 1 (the lab's init unless 'systemd'). */
  pid1?: 'systemd';
  /** Runs prepare-vf on VF 0 (without --trust) after creating the VFs; true unless false. */
  prepareVf0?: boolean;
  /** Skips the file where QEMU 10 is not unpacked (CI's form); otherwise the boot fails. */
  skipWithoutQemu10?: boolean;
}

/** What a test adds to the daemon's config: to group vm1, to its primary, to the whole file. */
export interface DaemonConfigExtras {
  group?: Record<string, unknown>;
  primary?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

export class VfLab {
  readonly netns: Netns;
  readonly dir: string;
  /** Seconds each timed stage took, printed after the file. */
  readonly timingsS: Record<string, number> = {};
  daemon: L1Daemon | undefined;
  guest: L1Testpmd | undefined;
  failed = false;
  private l1Vm: L1Vm | undefined;
  private sriovPfs: SriovPf[] = [];
  private readonly teardowns: Array<() => unknown> = [];
  private readonly failureReports: Array<() => Promise<string>> = [];

  constructor(readonly options: VfLabOptions) {
    this.netns = new Netns(options.name);
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `${options.name}-`));
  }

  get l1(): L1Vm {
    if (!this.l1Vm) throw new Error('L1 has not booted');
    return this.l1Vm;
  }

  get pf(): SriovPf {
    return this.pfs[0];
  }

  /** Every PF, in the order of their wires (wireTapOf). */
  get pfs(): SriovPf[] {
    if (!this.sriovPfs.length) throw new Error("L1's VFs have not been created");
    return this.sriovPfs;
  }

  get guestMac(): string {
    return this.options.guestMac;
  }

  async timed<T>(stage: string, work: () => Promise<T>): Promise<T> {
    const start = Date.now();
    try {
      return await work();
    } finally {
      this.timingsS[stage] = (Date.now() - start) / 1000;
    }
  }

  /** Runs before L1 stops (stopping what the test started in L1 or on the wire). */
  onTeardown(fn: () => unknown): void {
    this.teardowns.push(fn);
  }

  /** Adds what `report` says to a failed file's output. */
  onFailure(report: () => Promise<string>): void {
    this.failureReports.push(report);
  }

  async boot(): Promise<void> {
    const { pid1, prepareVf0 = true, pfs = 1 } = this.options;
    const wires = Array.from({ length: pfs }, (_, i) => wireTapOf(i));
    this.l1Vm = await this.timed(pid1 ? `L1 boot (${pid1})` : 'L1 boot', () =>
      L1Vm.boot({ dir: this.dir, netns: this.netns, wireTap: wires[0], moreWireTaps: wires.slice(1), pid1 }),
    );
    for (const wire of wires) this.netns.setLink(wire, 'up');
    await this.timed('VF creation', () => this.createVfs());
    if (prepareVf0) await this.timed('prepare-vf', () => this.prepareVf0());
  }

  /** Loads igb and vfio-pci where they are not, sets the PFs up and creates their VFs (again). */
  async createVfs(): Promise<SriovPf> {
    this.sriovPfs = await createVfsOnEveryPf(this.l1, this.options.vfs ?? 2);
    if (this.sriovPfs.length !== (this.options.pfs ?? 1))
      throw new Error(`L1 has ${this.sriovPfs.length} PFs, not ${this.options.pfs ?? 1}`);
    return this.pf;
  }

  /** prepare-vf on VF 0 with `mac` (the guest's unless given) and `flags`, e.g. ' --trust'. */
  prepareVf0(flags = '', mac = this.guestMac): Promise<string> {
    return this.l1.runOk(
      `cd ${L1_CHECKOUT} && node dist/src/cli.js prepare-vf ${this.pf.vfs[0]} --mac ${mac}${flags}`,
      60000,
    );
  }

  /** The daemon's config: group vm1 on VF 0 with a tap standby, its sockets under L1_DAEMON_DIR. */
  daemonConfig(extras: DaemonConfigExtras = {}): Record<string, unknown> & { control: { socket: string } } {
    return {
      dataplane: { filePrefix: this.options.name, workerCpus: [1], mbufs: 8191 },
      control: { socket: `${L1_DAEMON_DIR}/control.sock` },
      ...extras.config,
      groups: [
        {
          name: 'vm1',
          mac: this.guestMac,
          vhost: { socket: `${L1_DAEMON_DIR}/vm1.sock`, mode: 'server' },
          primary: { devargs: this.pf.vfs[0], ...extras.primary },
          standby: { devargs: `net_tap0,iface=${STANDBY_TAP}` },
          ...extras.group,
        },
      ],
    };
  }

  async startDaemon(extras: DaemonConfigExtras = {}): Promise<L1Daemon> {
    this.daemon = await this.timed('daemon start', () => L1Daemon.start(this.l1, this.daemonConfig(extras)));
    return this.daemon;
  }

  async stopDaemon(): Promise<void> {
    await this.daemon?.stop();
    this.daemon = undefined;
  }

  /** A testpmd guest on group vm1's socket, on L1's CPU 0 (the daemon's worker has CPU 1). */
  async startGuest(mode: ForwardMode, more: Partial<VmOptions> = {}): Promise<L1Testpmd> {
    this.guest = await this.timed('guest start', () =>
      L1Testpmd.start(this.l1, {
        socket: `${L1_DAEMON_DIR}/vm1.sock`,
        mac: this.guestMac,
        filePrefix: `${this.options.name}-vm`,
        mode,
        cpu: 0,
        ...more,
      }),
    );
    return this.guest;
  }

  async stopGuest(): Promise<void> {
    await this.guest?.stop();
    this.guest = undefined;
  }

  /** The daemon's status of group vm1. */
  async vm1(): Promise<Awaited<ReturnType<L1Daemon['status']>>[number]> {
    return (await this.daemon!.status())[0];
  }

  async activePath(): Promise<string> {
    return (await this.vm1()).activePath;
  }

  /** Waits until group vm1 forwards on VF 0. */
  onPrimary(timeoutMs = 60000): Promise<unknown> {
    return waitFor('the group on VF 0', async () => (await this.activePath()) === 'primary', timeoutMs, 1000);
  }

  /** Frames the PF put on the wire: the tap's receptions, and those its backlog dropped. */
  wireFrames(): number {
    const counters = this.netns.counters(WIRE_TAP);
    return counters.rxPackets + counters.rxDropped;
  }

  /** Frames the PF put on the wire over `windowMs`. */
  async wireFramesIn(windowMs: number): Promise<number> {
    const before = this.wireFrames();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    return this.wireFrames() - before;
  }

  /** Waits until the PF puts nothing more on the wire (the guest stopped, rings drained). */
  async wireQuiet(): Promise<void> {
    let last = -1;
    await waitFor(
      'the wire to go quiet',
      () => {
        const now = this.wireFrames();
        const quiet = now === last;
        last = now;
        return quiet;
      },
      30000,
      1000,
    );
  }

  /** L1's clock in ms, as the daemon's log times its lines. */
  async l1NowMs(): Promise<number> {
    return Number((await this.l1.runOk('date +%s%3N')).trim());
  }

  async teardown(): Promise<void> {
    if (this.failed) {
      const reports = await Promise.all(this.failureReports.map((report) => report().catch((err) => String(err))));
      console.log(
        `L1's console:\n${this.l1Vm?.console().slice(-4000)}\ndaemon's log:\n${this.daemon?.log.slice(-8000)}\n` +
          reports.join('\n'),
      );
      console.log(`      L1's files: ${this.dir}`);
    }
    for (const fn of this.teardowns) await Promise.resolve(fn()).catch(() => undefined);
    await this.guest?.stop().catch(() => undefined);
    await this.daemon?.stop().catch(() => undefined);
    await this.l1Vm?.stop();
    this.netns.dispose();
    if (!this.failed) fs.rmSync(this.dir, { recursive: true, force: true });
    if (Object.keys(this.timingsS).length) console.log(`      VF lab timings (s): ${JSON.stringify(this.timingsS)}`);
  }
}

// Mocha marks a failed hook as it marks a failed test; a failed before hook leaves the tests
// after it unrun, with no test of its own failed.
type HookHolder = { getHooks?: (name: string) => Mocha.Hook[] };
function hookFailed(suite: Mocha.Suite): boolean {
  const hooks = (name: string) => (suite as unknown as HookHolder).getHooks?.(name) ?? [];
  return (
    ['beforeAll', 'beforeEach', 'afterEach'].some((name) => hooks(name).some((hook) => hook.state === 'failed')) ||
    suite.suites.some(hookFailed)
  );
}

/**
 * The VF lab for the calling describe block: boots it before the block's tests (after the hooks
 * already registered), notes a failed test, and tears it down after them.
 */
export function useVfLab(options: VfLabOptions): VfLab {
  const lab = new VfLab(options);
  let fileStart = 0;
  before(async function () {
    if (options.skipWithoutQemu10 && !qemu10Installed()) this.skip();
    fileStart = Date.now();
    await lab.boot();
  });
  // An after hook sees only its own suite's last test: every test reports here.
  afterEach(function () {
    if (this.currentTest?.state === 'failed') lab.failed = true;
  });
  after(async function () {
    if (!fileStart) return lab.teardown(); // skipped: nothing booted
    lab.timingsS['whole file'] = (Date.now() - fileStart) / 1000;
    if (this.test?.parent && hookFailed(this.test.parent)) lab.failed = true;
    await lab.teardown();
  });
  return lab;
}
