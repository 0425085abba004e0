// Open vSwitch with DPDK as a bench reference, run privately: its own database, run directory,
// log, EAL file prefix and CPUs, so a host's own OVS (if any) is never touched. One netdev bridge
// with a dpdkvhostuserclient port (the VM is the vhost-user server, as QEMU is with OVS) and an
// active-backup bond of the two uplinks: the configuration an OVS user fails a VM over with.
// ovs-vswitchd runs in a network namespace of its own: its netdev datapath makes persistent taps
// for the datapath and the bridge ("ovs-netdev", "br0"), which would otherwise stay on the host
// (and clash with a host's own br0); they go with the namespace. Every command that sets it up
// is kept, as a shell line, in `commands`: the bench's results record them.
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { Netns } from '../lab/netns';
import { waitFor } from '../lab/wait';
import { shellLine } from './shell-line';

const VSWITCHD = '/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk';
const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

export interface OvsOptions {
  dir: string;
  filePrefix: string;
  /** CPU of OVS's main, handler and revalidator threads (and DPDK's main lcore). */
  mainCpu: number;
  /** CPU of its single PMD thread, which polls every port. */
  pmdCpu: number;
  vhostSocket: string;
  /** The bond's two members, as DPDK devargs (net_null here). */
  uplinks: [string, string];
  /**
   * MACs NORMAL switching knows as a network in steady state would have taught it: `network`
   * (where the guest sends) behind the bond, `guest` (where the network sends) behind the VM's
   * port. The bench's traffic is one-way, so nothing teaches them: NORMAL then floods the guest's
   * frames to the bridge's own port too, a kernel tap that is down, copying every frame before
   * dropping it (395 against 158 PMD cycles a frame here), and learns the network side's source
   * on the bond. Absent: nothing learned, as the bench's runs before 2026-12-06 ran it.
   */
  learnedMacs?: { network: string; guest: string };
  /**
   * An OpenFlow rule from the active uplink to the VM instead of NORMAL: what the runs before
   * 2026-12-06 used for network → guest, the net_null source's all-zero MACs being unlearned.
   */
  uplinkToVmFlow?: boolean;
  /** MTU of every port (jumbo frames); OVS's default otherwise. */
  mtu?: number;
}

export class PrivateOvs {
  private readonly netns = new Netns('vf-ovs');
  /** Every command that set this OVS up, in order, as shell lines ($DIR: the run directory). */
  readonly commands: string[] = [];

  private constructor(private readonly options: OvsOptions) {}

  private get env(): NodeJS.ProcessEnv {
    const { dir } = this.options;
    return { ...process.env, OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir };
  }

  /** Runs a set-up command and records it. */
  private run(...argv: string[]): string {
    this.commands.push(shellLine(argv, this.options.dir));
    return execFileSync(argv[0], argv.slice(1), { env: this.env, encoding: 'utf8', stdio: 'pipe' });
  }

  private get dbArgs(): string[] {
    return [`--db=unix:${path.join(this.options.dir, 'db.sock')}`, '--timeout=20'];
  }

  private vsctl(...args: string[]): string {
    return this.run('ovs-vsctl', ...this.dbArgs, ...args);
  }

  /** A read-only query: not part of the set-up, not recorded. */
  private query(...args: string[]): string {
    return execFileSync('ovs-vsctl', [...this.dbArgs, ...args], { env: this.env, encoding: 'utf8' });
  }

  private pid(name: string): number | undefined {
    try {
      return Number(fs.readFileSync(path.join(this.options.dir, `${name}.pid`), 'utf8').trim());
    } catch {
      return undefined;
    }
  }

  static available(): boolean {
    return fs.existsSync(VSWITCHD) && fs.existsSync(SCHEMA);
  }

  static async start(options: OvsOptions): Promise<PrivateOvs> {
    const ovs = new PrivateOvs(options);
    try {
      await ovs.boot();
    } catch (err) {
      await ovs.stop();
      throw err;
    }
    return ovs;
  }

  private async boot(): Promise<void> {
    const { dir, filePrefix, mainCpu, pmdCpu, vhostSocket, uplinks } = this.options;
    this.commands.push(`# ${execFileSync(VSWITCHD, ['--version'], { encoding: 'utf8' }).trim().replace(/\n/g, ', ')}`);
    const db = path.join(dir, 'conf.db');
    this.run('ovsdb-tool', 'create', db, SCHEMA);
    this.run(
      'ovsdb-server',
      db,
      `--remote=punix:${path.join(dir, 'db.sock')}`,
      `--pidfile=${path.join(dir, 'ovsdb-server.pid')}`,
      `--unixctl=${path.join(dir, 'ovsdb-server.ctl')}`,
      `--log-file=${path.join(dir, 'ovsdb-server.log')}`,
      '--detach',
    );
    this.vsctl('--no-wait', 'init');
    const ealExtra = `--file-prefix=${filePrefix} --in-memory --no-telemetry -a 0000:00:00.0`;
    // As OVS's DPDK guide (intro/install/dpdk.rst, Performance Tuning; topics/dpdk/pmd.rst) has
    // it: the PMD thread alone on its CPU, the other threads off it; no load-based sleep (3.1's
    // default, set so the record says it); the exact-match cache at its default insertion rate,
    // which holds the bench's one flow after its first hundred frames, and no signature cache
    // (meant for more flows than the EMC holds). Debian's build has only the scalar datapath,
    // parser and classifier (dpif-impl-get, miniflow-parser-get, subtable-lookup-info-get): no
    // AVX512 implementation to select.
    this.vsctl(
      '--no-wait',
      'set',
      'Open_vSwitch',
      '.',
      'other_config:dpdk-init=true',
      `other_config:dpdk-lcore-mask=0x${(1 << mainCpu).toString(16)}`,
      `other_config:pmd-cpu-mask=0x${(1 << pmdCpu).toString(16)}`,
      'other_config:pmd-maxsleep=0',
      'other_config:emc-insert-inv-prob=100',
      'other_config:smc-enable=false',
      `other_config:dpdk-extra="${ealExtra}"`,
    );
    this.run(
      'ip',
      'netns',
      'exec',
      this.netns.name,
      'taskset',
      '-c',
      String(mainCpu),
      VSWITCHD,
      `unix:${path.join(dir, 'db.sock')}`,
      `--pidfile=${path.join(dir, 'ovs-vswitchd.pid')}`,
      `--unixctl=${path.join(dir, 'ovs-vswitchd.ctl')}`,
      `--log-file=${path.join(dir, 'ovs-vswitchd.log')}`,
      '--detach',
    );
    // In the same transaction as each port: OVS sizes a port's mbufs when it opens it.
    const mtu = this.options.mtu ? [`mtu_request=${this.options.mtu}`] : [];
    this.vsctl('add-br', 'br0', '--', 'set', 'bridge', 'br0', 'datapath_type=netdev');
    this.vsctl(
      'add-port',
      'br0',
      'vhu0',
      '--',
      'set',
      'Interface',
      'vhu0',
      'type=dpdkvhostuserclient',
      `options:vhost-server-path=${vhostSocket}`,
      ...mtu,
    );
    // One rx queue per uplink: one PMD polls them all, and the traffic is one flow.
    const uplink = (name: string, devargs: string) => [
      '--',
      'set',
      'Interface',
      name,
      'type=dpdk',
      `options:dpdk-devargs=${devargs}`,
      'options:n_rxq=1',
      ...mtu,
    ];
    this.vsctl(
      'add-bond',
      'br0',
      'bond0',
      'up0',
      'up1',
      'bond_mode=active-backup',
      'lacp=off',
      'other_config:bond-primary=up0',
      ...uplink('up0', uplinks[0]),
      ...uplink('up1', uplinks[1]),
    );
    await waitFor('OVS to open its ports', () => {
      const errors = this.query('--bare', '--columns=error', 'list', 'Interface').trim();
      if (errors) throw new Error(`OVS could not open a port: ${errors}`);
      const ofports = this.query('--bare', '--columns=ofport', 'list', 'Interface').split(/\s+/).filter(Boolean);
      return ofports.length === 4 && ofports.every((port) => Number(port) > 0 || port === '65534');
    });
    const appctl = ['ovs-appctl', '-t', path.join(dir, 'ovs-vswitchd.ctl')];
    const { learnedMacs } = this.options;
    // Static entries: learning does not move them, nor do they age out.
    if (learnedMacs) {
      this.run(...appctl, 'fdb/add', 'br0', 'up0', '0', learnedMacs.network);
      this.run(...appctl, 'fdb/add', 'br0', 'vhu0', '0', learnedMacs.guest);
    }
    if (this.options.uplinkToVmFlow)
      this.run('ovs-ofctl', 'add-flow', `unix:${path.join(dir, 'br0.mgmt')}`, 'in_port=up0,actions=output:vhu0');
  }

  /** Stops both daemons by their PIDs and leaves nothing running, nor their taps. */
  async stop(): Promise<void> {
    for (const name of ['ovs-vswitchd', 'ovsdb-server']) {
      const pid = this.pid(name);
      if (!pid) continue;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        continue; // already gone
      }
      await waitFor(`${name} to exit`, () => !fs.existsSync(`/proc/${pid}`), 15000).catch(() => {
        process.kill(pid, 'SIGKILL');
      });
    }
    this.netns.dispose();
  }

  get log(): string {
    try {
      return fs.readFileSync(path.join(this.options.dir, 'ovs-vswitchd.log'), 'utf8');
    } catch {
      return '';
    }
  }
}
