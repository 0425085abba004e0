// Typed face of the native data plane. Owns the addon's lifetime: start once, shut down once.
import { EventEmitter } from 'events';
import { isPciDevice, type Config, type GroupConfig, type UplinkConfig } from '../config';
import type { UplinkRxFilter } from '../guest/rx-filter';
import { vhostDevargs } from './devargs';
import { planEal } from './eal-args';
import {
  loadAddon,
  type GroupStats,
  type GroupStatus,
  type NativeAddon,
  type NativeEvent,
  type TxDrain,
} from './native';

export type {
  GroupStats,
  GroupStatus,
  GuestAddress,
  NativeEvent,
  PathName,
  PerPath,
  TxDrain,
  UplinkStatus,
} from './native';

export interface DataplaneEvents {
  event: [NativeEvent];
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
      },
      (event) => this.emit('event', event),
    );
    this.started = true;
  }

  addGroup(group: GroupConfig, settings: { rxDescriptors: number; txDescriptors: number; garpMaxAgeMs: number }): void {
    this.addon.addGroup({
      name: group.name,
      mac: group.mac,
      mtu: group.mtu,
      rx: group.rx,
      vhostDevargs: vhostDevargs(group),
      primaryDevargs: group.primary.devargs,
      standbyDevargs: group.standby.devargs,
      setPrimaryMac: group.primary.setGuestMac ?? isPciDevice(group.primary.devargs),
      ...settings,
    });
  }

  removeGroup(name: string): void {
    this.addon.removeGroup(name);
  }

  /** Asks the worker to send one announcement round (RARP + GARPs) on the group's transmit path. */
  announce(group: string): void {
    this.addon.announce(group);
  }

  /** Make-before-break removal of the primary: standby first, tx ring drained, then stop, close, unplug. */
  detachPrimary(group: string): TxDrain {
    return this.addon.detachPrimary(group);
  }

  /** Programs both uplinks (and any primary attached later) with the guest's receive filter. */
  setRxFilter(group: string, filter: UplinkRxFilter): void {
    this.addon.setRxFilter(group, filter);
  }

  /** Fault injection: the primary's removal callback runs as if the device had been pulled. */
  injectPrimaryRemoval(group: string): void {
    this.addon.injectPrimaryRemoval(group);
  }

  /** Probes and starts a new primary; the policy decides when it carries traffic. */
  attachPrimary(group: string, uplink: UplinkConfig): void {
    this.addon.attachPrimary(group, uplink.devargs, uplink.setGuestMac ?? isPciDevice(uplink.devargs));
  }

  /** Allows or forbids the primary; allowing takes effect only while its link is up. */
  setPrimaryEligible(group: string, eligible: boolean, reason: string): boolean {
    return this.addon.setPrimaryEligible(group, eligible, reason);
  }

  status(group: string): GroupStatus {
    return this.addon.groupStatus(group);
  }

  stats(group: string): GroupStats {
    return this.addon.groupStats(group);
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
