// Typed face of the native data plane. Owns the addon's lifetime (start once, shut down once),
// hands out one DataplaneGroup per group, and re-emits the native events.
import { EventEmitter } from 'events';
import type { Config, GroupConfig } from '../config';
import { withPciDiagnosis } from '../host/pci-binding';
import { DataplaneGroup, primaryMacMode } from './dataplane-group';
import { planEal } from './eal-args';
import {
  loadAddon,
  type DpdkLogLine,
  type NativeAddon,
  type NativeEvent,
  type PeerCredentials,
  type WorkerStatsReport,
} from './native';

export interface DataplaneEvents {
  event: [NativeEvent];
  /** A line of DPDK's own log. */
  log: [DpdkLogLine];
}

/** Per-group settings that live outside the group's own config entry. */
export interface GroupSettings {
  rxDescriptors: number;
  txDescriptors: number;
  garpMaxAgeMs: number;
}

export class Dataplane extends EventEmitter<DataplaneEvents> {
  private readonly addon: NativeAddon;
  private started = false;

  constructor(addon: NativeAddon = loadAddon()) {
    super();
    this.addon = addon;
  }

  start(config: Config): void {
    const eal = planEal(config.dataplane);
    this.addon.start(
      {
        ealArgs: eal.args,
        workerLcores: eal.workerLcores,
        mbufs: config.dataplane.mbufs,
        maxMtu: Math.max(1500, ...config.groups.map((group) => group.mtu)),
        linkPollIntervalUs: config.dataplane.linkPollIntervalUs,
        idleSleepMaxUs: config.dataplane.idleSleepMaxUs,
        rxInterrupts: config.dataplane.rxInterrupts,
      },
      (event) => this.emit('event', event),
      (line) => this.emit('log', line),
    );
    this.started = true;
  }

  /**
   * Opens the group's ports and has a worker poll them. A primary that cannot be probed leaves
   * the group on its standby: `primaryError` says why, and `attach` may give it one later.
   */
  addGroup(group: GroupConfig, settings: GroupSettings): { native: DataplaneGroup; primaryError?: string } {
    let primaryError: string | undefined;
    try {
      primaryError = this.addon.addGroup({
        name: group.name,
        mac: group.mac,
        mtu: group.mtu,
        rx: group.rx,
        rxGraceMs: group.rxGraceMs,
        queues: group.queues,
        spoofCheck: group.spoofCheck,
        vhostSocket: group.vhost.socket,
        vhostClient: group.vhost.mode === 'client',
        primaryDevargs: group.primary.devargs,
        standbyDevargs: group.standby.devargs,
        primaryMac: primaryMacMode(group.primary),
        ...settings,
      });
    } catch (err) {
      const message = (err as Error).message;
      throw new Error(/\bstandby port: /.test(message) ? withPciDiagnosis(message, group.standby.devargs) : message);
    }
    const native = new DataplaneGroup(this.addon, group.name, group.mac);
    if (primaryError) primaryError = withPciDiagnosis(primaryError, group.primary.devargs);
    else primaryError = native.refuseUnacceptedMac(group.primary);
    return { native, primaryError };
  }

  get dpdkVersion(): string {
    return this.addon.dpdkVersion;
  }

  get dpdkBuiltVersion(): string {
    return this.addon.dpdkBuiltVersion;
  }

  /** Passes each worker lcore has made; one that stops advancing is stuck. */
  workerPasses(): number[] {
    return this.addon.workerPasses();
  }

  /** Where each worker's time went (busy, idle polling, asleep), its frames, and the units it polls. */
  workerStats(): WorkerStatsReport {
    return this.addon.workerStats();
  }

  /** Tells the service manager (systemd's sd_notify protocol); false when there is none. */
  notifyService(assignments: string[]): boolean {
    return this.addon.notifyService(assignments);
  }

  /** Who is at the other end of a connected unix socket, as the kernel says. */
  peerCredentials(fd: number): PeerCredentials {
    return this.addon.peerCredentials(fd);
  }

  mbufsInUse(): number {
    return this.addon.mbufsInUse();
  }

  shutdown(): void {
    if (!this.started) return;
    this.started = false;
    this.addon.shutdown();
  }
}
