// Live migration in the lab: two "hosts" on one machine, each a daemon with its own taps in the
// namespace's bridge (as two hypervisors reach one L2 segment), and one QEMU guest moved between
// them with QEMU's own migration (`migrate` over a unix socket, the destination started with
// `-incoming`), as libvirt would: the source quits once the destination runs.
//
//   guest ─ vhost-user ─ daemon A ─┬─ primary tap A ─┐
//     ⇣ migrate                    └─ standby tap A ─┤
//   guest ─ vhost-user ─ daemon B ─┬─ primary tap B ─┼─ br0 (netns): pings, the data stream
//                                  └─ standby tap B ─┘
import fs from 'fs';
import os from 'os';
import path from 'path';
import { QmpClient, type QmpEvent } from '../src/guest/qmp-client';
import { Capture } from './capture';
import { compareGuestRam, describeRamDifference, type GuestRamComparison } from './guest-ram';
import type { Outage } from './ping-gaps';
import { DaemonProcess } from './daemon-process';
import { threadStacks, writeOutageDiagnostics } from './outage-diagnostics';
import { QemuVm, type QemuVmOptions } from './qemu-vm';
import { GUEST_IP, Topology, labConfig, tapName, type TopologyOptions } from './topology';
import { waitFor } from './wait';

/** One side of a migration: a daemon, its group's socket and taps. */
export interface MigrationHost {
  name: 'A' | 'B';
  daemon: DaemonProcess;
  dir: string;
  vhostSocket: string;
  primaryTap: string;
  standbyTap: string;
}

/** One migration as QEMU, the daemons and the wire saw it (times in ms since the epoch). */
export interface MigrationTimeline {
  from: 'A' | 'B';
  to: 'A' | 'B';
  /** QEMU's own figure (query-migrate): measured on the source, from the guest's stop to the end of the copy. */
  downtimeMs: number;
  totalMs: number;
  /** The source's STOP event to the destination's RESUME: the guest ran nowhere in between. */
  sourceStoppedAtMs: number;
  destinationResumedAtMs: number;
  /** When the destination daemon's control plane heard that the guest's device was up. */
  guestUpAtMs?: number;
  /** The first RARP from the guest's MAC that the destination daemon put on its primary tap. */
  firstAnnouncementAtMs?: number;
  /** The first echo request the bridge sent towards the destination after the resume (the lab pings). */
  firstRequestAtMs?: number;
  /** Announcement rounds each daemon sent from the migration's start until that first RARP was seen. */
  rounds: { source: number; destination: number };
  /**
   * Frames from the guest's MAC that the source daemon put on its primary's wire after the guest
   * resumed on the destination: each one pulls the bridge's entry for the guest back to the source.
   */
  sourceFramesAfterResume: number;
  /** QEMU's passes over the dirty bitmap (query-migrate's ram.dirty-sync-count). */
  dirtySyncs: number;
  /** The guest's RAM on both sides while it ran nowhere (the guest stayed paused that long longer). */
  ram?: GuestRamComparison;
}

/**
 * When pings to the guest may be lost: from the source's stop (less a little: a request on its
 * way then) until the bridge can have moved the MAC (the first RARP, and one ping more).
 */
export function migrationOutage(t: MigrationTimeline): Outage {
  const movedAtMs = t.firstAnnouncementAtMs ?? t.destinationResumedAtMs + 1000;
  return { fromMs: t.sourceStoppedAtMs - 50, toMs: movedAtMs + 50 };
}

function eventAt(events: QmpEvent[], name: string): number {
  const event = events.find((candidate) => candidate.event === name);
  if (event?.atMs === undefined) throw new Error(`QEMU sent no ${name} event (got ${events.map((e) => e.event)})`);
  return event.atMs;
}

/** The time of the last line the daemon logged with a message starting `prefix`. */
function loggedAt(daemon: DaemonProcess, prefix: string): number | undefined {
  let at: number | undefined;
  for (const line of daemon.log.split('\n')) {
    if (!line.includes(prefix)) continue;
    try {
      const record = JSON.parse(line) as { msg?: string; time?: number };
      if (record.msg?.startsWith(prefix)) at = record.time;
    } catch {
      // not one of pino's lines
    }
  }
  return at;
}

interface QueryMigrate {
  status: string;
  downtime?: number;
  'total-time'?: number;
  'error-desc'?: string;
  ram?: { 'dirty-sync-count'?: number };
}

export interface MigrationParameters {
  'max-bandwidth'?: number;
  'downtime-limit'?: number;
}

/**
 * The guest's receive ring, descriptors: QEMU's 256 overflow when the TCG guest stalls (the copy's
 * first pass, the resume) while a TCP sender catches up on what it held through the outage. The
 * daemon then drops frames, counted in rxDroppedGuest, a ping among them now and then (about one
 * migration in 25 on QEMU 10); with 1024 none was dropped in 80 migrations
 * (docs/lab/notes/2026-12-06-migration-guest-memory.md).
 */
const GUEST_RX_RING = 1024;

/** A migration that lost guest pages on the way: the guest would run on with stale memory. */
export class GuestRamDiffers extends Error {}

async function rounds(host: MigrationHost): Promise<number> {
  const { primary, standby } = (await host.daemon.stats()).groups.vm1.announcementsSent;
  return primary + standby;
}

/** A QMP client on a QEMU that may still be opening its socket. */
export async function qmp(socket: string): Promise<QmpClient> {
  return waitFor(`QMP on ${socket}`, () => QmpClient.connect(socket, 2000, 30000), 20000, 100);
}

export class MigrationLab {
  vm?: QemuVm;
  /** Where the guest runs now. */
  current: MigrationHost;
  /** Where a migration whose step times out writes what the daemons and QEMUs were doing. */
  diagnosticsDir?: string;
  /**
   * Compare the stopped source's guest RAM with the destination's before the guest resumes there
   * (guest-ram.ts): about a second more of downtime, and a lost page named at the migration that lost it.
   */
  checkRam = true;
  /**
   * QEMU's migration parameters (migrate-set-parameters), its defaults when absent. A low
   * max-bandwidth (bytes/s) and downtime-limit (ms) make the copy take more dirty-bitmap passes
   * while the guest keeps writing, as a busy guest's migration over a slower link does.
   */
  migrationParameters?: MigrationParameters;
  private vms = 0;
  private migrations = 0;

  private constructor(
    readonly topology: Topology,
    readonly hosts: { A: MigrationHost; B: MigrationHost },
    private readonly guest: Omit<QemuVmOptions, 'dir' | 'vhostSocket'>,
  ) {
    this.current = hosts.A;
  }

  /** The namespace and bridge, daemon A (the topology's) and daemon B, each on its own worker CPU. */
  static async start(
    guest: Partial<QemuVmOptions> = {},
    daemons: Pick<TopologyOptions, 'rxInterrupts'> = {},
  ): Promise<MigrationLab> {
    const cpus = os.cpus().length;
    // Each daemon's worker on a CPU of its own where there are two (as on two hosts).
    const workerCpuB = Math.max(0, cpus - 2);
    const topology = await Topology.start(labConfig({ ...daemons, workerCpu: cpus - 1 }));
    let dirB: string | undefined;
    try {
      let configB = labConfig({ ...daemons, workerCpu: workerCpuB });
      // labConfig's names are random: B's taps and prefix must differ from A's.
      while (configB.dataplane.filePrefix === topology.filePrefix) {
        fs.rmSync(path.dirname(configB.control.socket), { recursive: true, force: true });
        configB = labConfig({ ...daemons, workerCpu: workerCpuB });
      }
      dirB = path.dirname(configB.control.socket);
      const daemonB = await DaemonProcess.start(configB, dirB, topology.netns);
      const A: MigrationHost = {
        name: 'A',
        daemon: topology.daemon!,
        dir: topology.dir,
        vhostSocket: topology.vhostSocket,
        primaryTap: topology.primaryTap,
        standbyTap: topology.standbyTap,
      };
      const B: MigrationHost = {
        name: 'B',
        daemon: daemonB,
        dir: dirB,
        vhostSocket: configB.groups[0].vhost.socket,
        primaryTap: tapName(configB.groups[0].primary.devargs),
        standbyTap: tapName(configB.groups[0].standby.devargs),
      };
      return new MigrationLab(
        topology,
        { A, B },
        { mac: topology.group.mac, address: `${GUEST_IP}/24`, rxQueueSize: GUEST_RX_RING, ...guest },
      );
    } catch (err) {
      if (dirB) fs.rmSync(dirB, { recursive: true, force: true });
      await topology.stop();
      throw err;
    }
  }

  /** Boots the guest on host A and waits until daemon A sees it. */
  async boot(): Promise<QemuVm> {
    this.vm = await QemuVm.start({ ...this.guest, dir: this.vmDir(), vhostSocket: this.hosts.A.vhostSocket });
    await waitFor(
      'daemon A to see the guest',
      async () => (await this.hosts.A.daemon.status())[0].guestConnected,
      30000,
    );
    return this.vm;
  }

  other(host: MigrationHost): MigrationHost {
    return host === this.hosts.A ? this.hosts.B : this.hosts.A;
  }

  /**
   * Moves the running guest to the other host: a destination QEMU on that host's daemon, QEMU's
   * migration, then the source QEMU quits (its daemon's group lets the guest go).
   */
  async migrate(): Promise<MigrationTimeline> {
    const source = this.current;
    const target = this.other(source);
    const dir = this.vmDir();
    const migration = ++this.migrations;
    const sourceVm = this.vm!;
    const uri = `unix:${path.join(dir, 'migrate.sock')}`;
    // Rounds from the source while the guest is still there are right (a boot, a switch): the
    // count starts once they are done, so any later one announced a guest that had left.
    await waitFor(
      `daemon ${source.name}'s rounds to end`,
      async () => !(await source.daemon.status())[0].announcing,
      10000,
    );
    const roundsBefore = { source: await rounds(source), destination: await rounds(target) };
    const destination = await QemuVm.startIncoming(
      { ...this.guest, dir, vhostSocket: target.vhostSocket },
      uri,
      this.checkRam,
    );
    let capture: Capture | undefined;
    let requests: Capture | undefined;
    let fromSource: Capture | undefined;
    const clients: QmpClient[] = [];
    let migrated = false;
    try {
      // Started together: each tcpdump takes a moment to listen, and the migration waits for all three.
      const started = await Promise.allSettled([
        // What the destination daemon puts on its primary's wire (-Q in: the tap's receive side),
        // RARPs only: the guest's own announcements are GARPs.
        Capture.start(this.topology.netns.name, target.primaryTap, `rarp and ether src ${this.guest.mac}`, [
          '-tt',
          '-Q',
          'in',
        ]),
        // What the source daemon puts on its primary's wire from the guest's MAC: nothing once the
        // guest runs on the destination.
        Capture.start(this.topology.netns.name, source.primaryTap, `ether src ${this.guest.mac}`, ['-tt', '-Q', 'in']),
        // What the bridge sends towards the destination (-Q out): the network delivering a ping
        // there, whatever the guest then takes to answer it.
        Capture.start(this.topology.netns.name, target.primaryTap, 'icmp[icmptype] == icmp-echo', ['-tt', '-Q', 'out']),
      ]);
      [capture, fromSource, requests] = started.map((start) =>
        start.status === 'fulfilled' ? start.value : undefined,
      );
      const failed = started.find((start): start is PromiseRejectedResult => start.status === 'rejected');
      if (failed) throw failed.reason;
      const [from, to] = await Promise.all([qmp(this.vm!.qmpSocket), qmp(destination.qmpSocket)]);
      clients.push(from, to);
      const sourceEvents: QmpEvent[] = [];
      const destinationEvents: QmpEvent[] = [];
      from.on('event', (event) => sourceEvents.push(event));
      to.on('event', (event) => destinationEvents.push(event));
      if (this.migrationParameters) await from.execute('migrate-set-parameters', { ...this.migrationParameters });
      await from.execute('migrate', { uri });
      // A failed migration ends the wait at once (a throw would only be retried until the timeout).
      const done = await waitFor(
        'the migration to complete',
        async () => {
          const info = await from.execute<QueryMigrate>('query-migrate');
          return (info.status === 'completed' || info.status === 'failed' || info.status === 'cancelled') && info;
        },
        120000,
        50,
      );
      if (done.status !== 'completed') throw new Error(`migration ${done.status}: ${done['error-desc'] ?? ''}`);
      const ram = this.checkRam ? await this.compareRam(to, sourceVm, destination) : undefined;
      await waitFor(
        'the guest to run on the destination',
        () => destinationEvents.some((e) => e.event === 'RESUME'),
        30000,
      );
      migrated = true;
      // As libvirt does once the destination runs: the source QEMU goes, and closes its socket.
      await from.execute('quit').catch(() => undefined);
      await this.vm!.stop();
      this.vm = destination;
      this.current = target;
      await waitFor(
        `daemon ${source.name} to let the guest go`,
        async () => !(await source.daemon.status())[0].guestConnected,
        10000,
      );
      await waitFor(
        `daemon ${target.name} to see the guest`,
        async () => (await target.daemon.status())[0].guestConnected,
        10000,
      );
      const announcement = await waitFor('a RARP on the destination wire', () => capture!.lines()[0], 5000).catch(
        () => undefined,
      );
      const resumedAtMs = eventAt(destinationEvents, 'RESUME');
      const timeOf = (line: string) => Number(line.split(' ')[0]) * 1000;
      const request = await waitFor(
        'a ping delivered towards the destination',
        () => requests!.lines().find((line) => timeOf(line) >= resumedAtMs),
        5000,
      ).catch(() => undefined);
      return {
        from: source.name,
        to: target.name,
        downtimeMs: done.downtime ?? NaN,
        totalMs: done['total-time'] ?? NaN,
        sourceStoppedAtMs: eventAt(sourceEvents, 'STOP'),
        destinationResumedAtMs: resumedAtMs,
        guestUpAtMs: loggedAt(target.daemon, 'guest connected'),
        firstAnnouncementAtMs: announcement ? timeOf(announcement) : undefined,
        firstRequestAtMs: request ? timeOf(request) : undefined,
        rounds: {
          source: (await rounds(source)) - roundsBefore.source,
          destination: (await rounds(target)) - roundsBefore.destination,
        },
        sourceFramesAfterResume: fromSource!.lines().filter((line) => timeOf(line) >= resumedAtMs).length,
        dirtySyncs: done.ram?.['dirty-sync-count'] ?? NaN,
        ram,
      };
    } catch (err) {
      if (!this.diagnosticsDir || err instanceof GuestRamDiffers) throw err;
      // A step that timed out: what each daemon and both QEMUs were doing, before anything is torn down.
      const where = path.join(this.diagnosticsDir, `migration-${migration}`);
      const status = async (client: QmpClient | undefined) =>
        client ? JSON.stringify(await client.execute('query-status').catch((e: Error) => e.message)) : 'no QMP';
      const consoles =
        `source QEMU (${source.name}), ${migrated ? 'quit' : await status(clients[0])}:\n${sourceVm.console()}\n\n` +
        `destination QEMU (${target.name}), ${await status(clients[1])}:\n${destination.console()}\n\n` +
        `destination QEMU's threads:\n${destination.pid ? threadStacks(destination.pid) : 'exited'}`;
      await writeOutageDiagnostics(
        where,
        'step-timed-out',
        [
          { name: 'A', daemon: this.hosts.A.daemon },
          { name: 'B', daemon: this.hosts.B.daemon },
        ],
        consoles,
      );
      throw new Error(
        `migration ${migration} (${source.name}→${target.name}): ${(err as Error).message}; diagnostics in ${where}`,
      );
    } finally {
      capture?.stop();
      requests?.stop();
      fromSource?.stop();
      for (const client of clients) client.close();
      if (!migrated) await destination.stop();
    }
  }

  async stop(): Promise<void> {
    const problems: string[] = [];
    await this.vm?.stop().catch((err: Error) => problems.push(`qemu: ${err.message}`));
    const code = await this.hosts.B.daemon.stop().catch((err: Error) => problems.push(`daemon B: ${err.message}`));
    fs.rmSync(this.hosts.B.dir, { recursive: true, force: true });
    await this.topology.stop().catch((err: Error) => problems.push((err as Error).message));
    if (typeof code === 'number' && code !== 0)
      problems.push(`daemon B exited with ${code}:\n${this.hosts.B.daemon.log}`);
    if (problems.length > 0) throw new Error(problems.join('; '));
  }

  /**
   * Once the destination has loaded the guest (paused, -S): both sides' RAM compared, then `cont`.
   * A difference throws: the guest must not run on with memory it never had.
   */
  private async compareRam(to: QmpClient, source: QemuVm, destination: QemuVm): Promise<GuestRamComparison> {
    await waitFor(
      'the destination to hold the loaded guest',
      async () => (await to.execute<{ status: string }>('query-status')).status === 'paused',
      30000,
      50,
    );
    const ram = compareGuestRam(source.pid!, destination.pid!);
    if (ram.differingPages > 0) throw new GuestRamDiffers(describeRamDifference(ram));
    await to.execute('cont');
    return ram;
  }

  /** A fresh directory per QEMU (its QMP socket, console and migration socket). */
  private vmDir(): string {
    const dir = path.join(this.topology.dir, `vm-${this.vms++}`);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }
}
