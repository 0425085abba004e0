// One group's handle on the native data plane: the TypeScript side's view of the native Group.
// Every call is synchronous; apart from attach, detach and remove (which probe or close ports)
// each flips an atomic or reads counters.
import { isPciDevice, type UplinkConfig } from '../config';
import { withPciDiagnosis } from '../host/pci-binding';
import { pfRefusedMac } from '../host/vf-mac';
import type { UplinkRxFilter } from '../guest/rx-filter';
import type {
  CaptureLimits,
  CaptureReport,
  DecisionCause,
  GroupPortStats,
  GroupStats,
  GroupStatus,
  NativeAddon,
  PortRole,
  PortXstat,
  PrimaryMacMode,
  RemovalSignal,
  TxDrain,
} from './native';

/**
 * What the primary's start does with the guest's MAC (config `guestMac`): a PCI device keeps the
 * MAC its administrator gave it and must carry the guest's; a vdev's belongs to a host interface.
 */
export function primaryMacMode(uplink: UplinkConfig): PrimaryMacMode {
  if (uplink.guestMac === 'set') return 'set';
  return isPciDevice(uplink.devargs) ? 'check' : 'leave';
}

export class DataplaneGroup {
  constructor(
    private readonly addon: NativeAddon,
    readonly name: string,
    /** The guest's MAC, which a primary with guestMac: set must have taken. */
    private readonly guestMac: string,
  ) {}

  /**
   * After the primary started with `set`: a PF that refused the guest's MAC leaves a port that
   * says it took it (igbvf), so the PF's own record decides. A refusal closes the primary again
   * and is an error, which the group's retry reports (status, log, the primary_retrying metric).
   */
  refuseUnacceptedMac(uplink: UplinkConfig): string | undefined {
    if (primaryMacMode(uplink) !== 'set') return undefined;
    const refused = pfRefusedMac(uplink.devargs, this.guestMac);
    if (refused) this.addon.detachPrimary(this.name);
    return refused && `primary port: ${refused}`;
  }

  /** Asks the worker to send one announcement round (RARP + GARPs) on the transmitting path. */
  announce(): void {
    this.addon.announce(this.name);
  }

  /** Make-before-break removal of the primary: standby first, tx ring drained, then stop, close, unplug. */
  detachPrimary(): TxDrain {
    return this.addon.detachPrimary(this.name);
  }

  /** Probes and starts a new primary; the policy decides when it carries traffic. */
  attachPrimary(uplink: UplinkConfig): void {
    try {
      this.addon.attachPrimary(this.name, uplink.devargs, primaryMacMode(uplink));
    } catch (err) {
      throw new Error(withPciDiagnosis((err as Error).message, uplink.devargs));
    }
    const refused = this.refuseUnacceptedMac(uplink);
    if (refused) throw new Error(refused);
  }

  /** Programs both uplinks (and any primary attached later) with the guest's receive filter. */
  setRxFilter(filter: UplinkRxFilter): void {
    this.addon.setRxFilter(this.name, filter);
  }

  /**
   * Fault injection: the primary's removal callback runs as if the device had been pulled (`rmv`),
   * or as if the kernel asked the daemon to release it (`device-event`, a VF's PF lowering
   * sriov_numvfs).
   */
  injectPrimaryRemoval(signal: RemovalSignal): void {
    this.addon.injectPrimaryRemoval(this.name, signal);
  }

  /** Fault injection: the primary refuses every frame, its link up, until it is reset or released. */
  injectTxStall(): void {
    this.addon.injectTxStall(this.name);
  }

  /** Fault injection: the primary's driver asks for a reset (RTE_ETH_EVENT_INTR_RESET, a PF reset). */
  injectResetRequest(): void {
    this.addon.injectResetRequest(this.name);
  }

  /** Puts a primary native code took out of service back (driver reset); throws if the driver cannot. */
  resetPrimary(): void {
    this.addon.resetPrimary(this.name);
  }

  /** A primary with guestMac 'set' carries the guest's MAC only while the guest is here. */
  carryGuestMac(carry: boolean): void {
    this.addon.carryGuestMac(this.name, carry);
  }

  /** How recently the guest must have claimed an address for its GARP; 0: no learning. */
  setGarpMaxAge(ms: number): void {
    this.addon.setGarpMaxAge(this.name, ms);
  }

  /** Fault injection: both uplinks' driver calls hang for `ms`, as a PF mailbox that does not answer. */
  injectDriverStall(ms: number): void {
    this.addon.injectDriverStall(this.name, ms);
  }

  /** Allows or forbids the primary; allowing takes effect only while its link is up. */
  setPrimaryEligible(eligible: boolean, cause: DecisionCause, reason: string): boolean {
    return this.addon.setPrimaryEligible(this.name, eligible, cause, reason);
  }

  status(): GroupStatus {
    return this.addon.groupStatus(this.name);
  }

  stats(): GroupStats {
    return this.addon.groupStats(this.name);
  }

  /** The uplinks' drivers' own counters (a driver call each) and lib/vhost's of the guest. */
  portStats(): GroupPortStats {
    return this.addon.groupPortStats(this.name);
  }

  /** One port's extended counters by the driver's names, read now (a driver call under the port's lock). */
  portXstats(port: PortRole): PortXstat[] {
    return this.addon.portXstats(this.name, port);
  }

  /** Mirrors the group's frames into `file` (a pcap file made here) until `limits` run out. */
  startCapture(file: string, limits: CaptureLimits): void {
    this.addon.startCapture(this.name, file, limits);
  }

  captureReport(): CaptureReport | undefined {
    return this.addon.captureReport(this.name);
  }

  /** Stops polling the group and closes its ports. */
  remove(): void {
    this.addon.removeGroup(this.name);
  }
}
