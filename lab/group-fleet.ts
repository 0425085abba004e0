// Many groups in one daemon, all the lab's own: the daemon runs in a namespace it owns with every
// group's uplinks there as taps, and the guests are ONE testpmd process with a net_virtio_user
// port per group (port i is group i's guest), one forwarding lcore sending on all of them. The
// scale bench (bench/scale) and the scale test (test/integration/scale.test.ts) share it.
//
// The daemon starts on a seed group (the config needs one, and its own taps take no DPDK port)
// which is removed at once, so that every measured group comes through add-group and the
// daemon's own refusal says how many it holds.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { request } from '../src/control/client';
import type { GroupStatsReply } from '../src/control/protocol';
import { DaemonProcess } from './daemon-process';
import { Netns } from './netns';
import { Testpmd, testpmdEal } from './testpmd';
import { waitFor } from './wait';

/** DPDK's RTE_MAX_ETHPORTS in the distribution's build: the guests' testpmd holds no more ports. */
export const GUEST_PORTS_MAX = 32;
/** The metrics port, inside the fleet's own namespace. */
const METRICS_PORT = 9464;
const SEED = 'seed';

/**
 * A group's uplinks, all taps in the fleet's namespace:
 * - 'ethdev-primary': a net_tap primary, one DPDK port a group as a VF primary would be (the
 *   host's stand-in for one), and the daemon's own tap (`tap:NAME`) as standby;
 * - 'own-taps': both the daemon's own taps, no DPDK port at all;
 * - 'net-taps': both net_tap ports, two DPDK ports a group.
 */
export const UPLINK_FORMS = ['ethdev-primary', 'own-taps', 'net-taps'] as const;
export type UplinkForm = (typeof UPLINK_FORMS)[number];

export interface FleetGroup {
  name: string;
  mac: string;
  socket: string;
  primaryTap: string;
  standbyTap: string;
}

/** What add-group made of a request for `wanted` groups. */
export interface Filling {
  added: number;
  /** Each add-group's time, in order. */
  addMs: number[];
  /** The daemon's refusal that stopped the filling, if one did. */
  refusal?: string;
}

export interface FleetOptions {
  /** 'ethdev-primary' when absent. */
  uplinks?: UplinkForm;
  /** The worker's CPU; the last one when absent. */
  workerCpu?: number;
  faultInjection?: boolean;
}

const mac = (i: number) => `52:54:00:00:0d:${i.toString(16).padStart(2, '0')}`;

const ownTap = (tap: string) => `tap:${tap}`;
const netTap = (tap: string, vdevIndex: number) => `net_tap${vdevIndex},iface=${tap}`;

/** Group i's uplinks' devargs in `form`, on taps p<i> and s<i>. */
function uplinkDevargs(form: UplinkForm, i: number): { primary: string; standby: string } {
  const [primary, standby] = [`p${i}`, `s${i}`];
  if (form === 'own-taps') return { primary: ownTap(primary), standby: ownTap(standby) };
  if (form === 'net-taps') return { primary: netTap(primary, 2 * i), standby: netTap(standby, 2 * i + 1) };
  return { primary: netTap(primary, i), standby: ownTap(standby) };
}

export class GroupFleet {
  /** Group i at index i while it is in the daemon. */
  readonly groups: FleetGroup[] = [];
  guests?: Testpmd;

  private constructor(
    readonly netns: Netns,
    readonly dir: string,
    readonly form: UplinkForm,
    private readonly filePrefix: string,
    readonly daemon: DaemonProcess,
  ) {}

  /** Namespace and daemon, holding no group once the seed is gone. */
  static async start(options: FleetOptions = {}): Promise<GroupFleet> {
    const netns = new Netns('vf-fleet');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-fleet-'));
    const form = options.uplinks ?? 'ethdev-primary';
    const filePrefix = `vf-fleet-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
    const config = {
      dataplane: { filePrefix, workerCpus: [options.workerCpu ?? os.cpus().length - 1] },
      control: { socket: path.join(dir, 'control.sock'), faultInjection: options.faultInjection ?? false },
      metrics: { port: METRICS_PORT },
      log: { level: 'warn' },
      groups: [
        {
          name: SEED,
          mac: mac(255),
          vhost: { socket: path.join(dir, `${SEED}.sock`) },
          primary: { devargs: ownTap('seedp') },
          standby: { devargs: ownTap('seeds') },
        },
      ],
    };
    let daemon: DaemonProcess | undefined;
    try {
      daemon = await DaemonProcess.start(config, dir, netns);
      await request(daemon.controlSocket, 'remove-group', { group: SEED });
    } catch (err) {
      await daemon?.stop();
      netns.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return new GroupFleet(netns, dir, form, filePrefix, daemon);
  }

  get controlSocket(): string {
    return this.daemon.controlSocket;
  }

  /** Group i's settings as add-group takes them; its taps are p<i> and s<i> in the namespace. */
  groupConfig(i: number) {
    const { primary, standby } = uplinkDevargs(this.form, i);
    return {
      name: `g${i}`,
      mac: mac(i),
      vhost: { socket: path.join(this.dir, `g${i}.sock`) },
      primary: { devargs: primary },
      standby: { devargs: standby },
    };
  }

  /** Adds group i; rejects with the daemon's refusal. Returns how long add-group took. */
  async addGroup(i: number): Promise<number> {
    const config = this.groupConfig(i);
    const start = process.hrtime.bigint();
    await request(this.controlSocket, 'add-group', { config }, 30000);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    this.groups[i] = { ...config, socket: config.vhost.socket, primaryTap: `p${i}`, standbyTap: `s${i}` };
    return ms;
  }

  async removeGroup(i: number): Promise<void> {
    await request(this.controlSocket, 'remove-group', { group: `g${i}` }, 30000);
    delete this.groups[i];
  }

  /** Adds groups 0, 1, ... until `wanted` are in or the daemon refuses one. */
  async fill(wanted: number): Promise<Filling> {
    const addMs: number[] = [];
    for (let i = 0; i < wanted; i++) {
      try {
        addMs.push(await this.addGroup(i));
      } catch (err) {
        return { added: i, addMs, refusal: (err as Error).message };
      }
    }
    return { added: wanted, addMs };
  }

  /**
   * The guests: one testpmd sending 64-byte frames (txonly) on a port per group, on CPU 0 with
   * its main lcore; resolves once the daemon sees every guest.
   */
  async startGuests(): Promise<Testpmd> {
    const vdevs = this.groups.map((g, i) => `net_virtio_user${i},path=${g.socket},mac=${g.mac},queues=1`);
    this.guests = await Testpmd.start(testpmdEal(`${this.filePrefix}-guests`, '0@0,1@0', vdevs), [
      '--nb-cores=1',
      '--total-num-mbufs=65536',
      '--forward-mode=txonly',
      '--txpkts=64',
    ]);
    await waitFor(
      'the daemon to see every guest',
      async () => (await this.daemon.status()).every((status) => status.guestConnected),
      20000,
    );
    return this.guests;
  }

  /** Every group's counters, by group name. */
  async stats(): Promise<Record<string, GroupStatsReply>> {
    return (await this.daemon.stats()).groups;
  }

  /** Frames the kernel took from a group's taps (what the daemon wrote to them). */
  tapsReceived(group: FleetGroup): number {
    return this.netns.counters(group.primaryTap).rxPackets + this.netns.counters(group.standbyTap).rxPackets;
  }

  /** One scrape of the metrics from inside the namespace: its size and curl's own time for it. */
  scrapeMetrics(): { bytes: number; ms: number } {
    const [bytes, seconds] = this.netns
      .exec(
        'curl',
        '-sf',
        '-o',
        '/dev/null',
        '-w',
        '%{size_download} %{time_total}',
        `http://127.0.0.1:${METRICS_PORT}/metrics`,
      )
      .trim()
      .split(' ')
      .map(Number);
    return { bytes, ms: seconds * 1000 };
  }

  /**
   * The daemon's resident memory, in KiB. Not its hugepages: those hold the mbuf pools but also
   * map each guest's memory, which vhost-user shares with the daemon.
   */
  rssKiB(): number {
    const status = fs.readFileSync(`/proc/${this.daemon.pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  }

  async stop(): Promise<void> {
    const problems: string[] = [];
    await this.guests?.stop().catch((err: Error) => problems.push(`guests: ${err.message}`));
    const code = await this.daemon.stop().catch((err: Error) => problems.push(`daemon: ${err.message}`));
    this.netns.dispose();
    fs.rmSync(this.dir, { recursive: true, force: true });
    if (problems.length > 0) throw new Error(problems.join('; '));
    if (typeof code === 'number' && code !== 0) throw new Error(`daemon exited with ${code}:\n${this.daemon.log}`);
  }
}
