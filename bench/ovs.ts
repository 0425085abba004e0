// Open vSwitch with DPDK as a bench reference, run privately: its own database, run directory,
// log, EAL file prefix and CPUs, so a host's own OVS (if any) is never touched. One netdev bridge
// with a dpdkvhostuserclient port (the VM is the vhost-user server, as QEMU is with OVS) and an
// active-backup bond of the two uplinks: the configuration an OVS user fails a VM over with.
// ovs-vswitchd runs in a network namespace of its own: its netdev datapath makes persistent taps
// for the datapath and the bridge ("ovs-netdev", "br0"), which would otherwise stay on the host
// (and clash with a host's own br0); they go with the namespace.
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { Netns } from '../lab/netns';
import { waitFor } from '../lab/wait';

const VSWITCHD = '/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk';
const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

export interface OvsOptions {
  dir: string;
  filePrefix: string;
  /** CPU of OVS's main thread and of its single PMD thread. */
  mainCpu: number;
  pmdCpu: number;
  vhostSocket: string;
  /** The bond's two members, as DPDK devargs (net_null here). */
  uplinks: [string, string];
  /**
   * Frames from the network side carry all-zero MACs (net_null), which NORMAL switching learns on
   * the bond and then drops as addressed to it; an OpenFlow rule sends them to the VM instead.
   * That is OVS's cheapest path (one cached datapath flow), so the comparison favours it.
   */
  uplinkToVmFlow?: boolean;
  /** MTU of every port (jumbo frames); OVS's default otherwise. */
  mtu?: number;
}

export class PrivateOvs {
  private readonly netns = new Netns('vf-ovs');

  private constructor(private readonly options: OvsOptions) {}

  private get env(): NodeJS.ProcessEnv {
    const { dir } = this.options;
    return { ...process.env, OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir };
  }

  private vsctl(...args: string[]): string {
    const db = `unix:${path.join(this.options.dir, 'db.sock')}`;
    return execFileSync('ovs-vsctl', [`--db=${db}`, '--timeout=20', ...args], { env: this.env, encoding: 'utf8' });
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
    const run = (command: string, args: string[]) => execFileSync(command, args, { env: this.env, stdio: 'pipe' });
    const db = path.join(dir, 'conf.db');
    run('ovsdb-tool', ['create', db, SCHEMA]);
    run('ovsdb-server', [
      db,
      `--remote=punix:${path.join(dir, 'db.sock')}`,
      `--pidfile=${path.join(dir, 'ovsdb-server.pid')}`,
      `--unixctl=${path.join(dir, 'ovsdb-server.ctl')}`,
      `--log-file=${path.join(dir, 'ovsdb-server.log')}`,
      '--detach',
    ]);
    this.vsctl('--no-wait', 'init');
    const ealExtra = `--file-prefix=${filePrefix} --in-memory --no-telemetry -a 0000:00:00.0`;
    this.vsctl(
      '--no-wait',
      'set',
      'Open_vSwitch',
      '.',
      'other_config:dpdk-init=true',
      `other_config:dpdk-lcore-mask=0x${(1 << mainCpu).toString(16)}`,
      `other_config:pmd-cpu-mask=0x${(1 << pmdCpu).toString(16)}`,
      `other_config:dpdk-extra="${ealExtra}"`,
    );
    run('ip', [
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
    ]);
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
    this.vsctl(
      'add-bond',
      'br0',
      'bond0',
      'up0',
      'up1',
      'bond_mode=active-backup',
      '--',
      'set',
      'Interface',
      'up0',
      'type=dpdk',
      `options:dpdk-devargs=${uplinks[0]}`,
      ...mtu,
      '--',
      'set',
      'Interface',
      'up1',
      'type=dpdk',
      `options:dpdk-devargs=${uplinks[1]}`,
      ...mtu,
    );
    await waitFor('OVS to open its ports', () => {
      const errors = this.vsctl('--bare', '--columns=error', 'list', 'Interface').trim();
      if (errors) throw new Error(`OVS could not open a port: ${errors}`);
      const ofports = this.vsctl('--bare', '--columns=ofport', 'list', 'Interface').split(/\s+/).filter(Boolean);
      return ofports.length === 4 && ofports.every((port) => Number(port) > 0 || port === '65534');
    });
    if (this.options.uplinkToVmFlow)
      execFileSync('ovs-ofctl', ['add-flow', `unix:${path.join(dir, 'br0.mgmt')}`, 'in_port=up0,actions=output:vhu0'], {
        env: this.env,
        stdio: 'pipe',
      });
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
