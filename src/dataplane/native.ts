// The only module that loads the native addon. Everything else uses the typed wrapper in
// dataplane.ts.
import path from 'path';
import type { UplinkRxFilter } from '../guest/rx-filter';

export type PathName = 'primary' | 'standby' | 'none';
export type PortRole = 'primary' | 'standby' | 'vhost';

export interface NativeEvent {
  type: 'link' | 'guest' | 'removed' | 'pathSwitched';
  group: string;
  port?: PortRole;
  up?: boolean;
  from?: PathName;
  to?: PathName;
  reason: string;
  /** removed: the DPDK port that went away. */
  portId?: number;
  atNs: bigint;
}

export interface NativeStartOptions {
  ealArgs: string[];
  workerLcores: number[];
  mbufs: number;
  maxMtu: number;
  linkPollIntervalUs: number;
  idleSleepMaxUs: number;
}

export interface NativeGroupSpec {
  name: string;
  mac: string;
  mtu: number;
  rx: 'both' | 'active';
  vhostDevargs: string;
  primaryDevargs: string;
  standbyDevargs: string;
  setPrimaryMac: boolean;
  rxDescriptors: number;
  txDescriptors: number;
  /** GARPs for addresses learned from the guest's ARP seen this recently; 0: no learning. */
  garpMaxAgeMs: number;
}

/**
 * What became of the frames in the detached primary's tx ring: sent (`drained`), still there
 * after 100 ms (`timed-out`), or the driver cannot tell (`not-reported`: a tap or vhost port has
 * no ring; a surprise-removed device has nothing left to send).
 */
export type TxDrain = 'drained' | 'timed-out' | 'not-reported';

export interface UplinkStatus {
  devargs: string;
  portId: number;
  present: boolean;
  linkUp: boolean;
  /** How the port took the guest's receive filter: "all", "list of N", or why not. */
  rxFilter: { multicast: string; vlan: string };
}

/** An IPv4 address the guest claimed in its own ARP frames. */
export interface GuestAddress {
  address: string;
  /** 802.1Q VLAN id the ARP came in; 0 when untagged. */
  vlan: number;
  lastSeenMsAgo: number;
  /** Recent enough that the next announcement round carries a GARP for it. */
  announced: boolean;
}

export interface GroupStatus {
  name: string;
  guestConnected: boolean;
  primary: UplinkStatus;
  standby: UplinkStatus;
  primaryEligible: boolean;
  activePath: PathName;
  /** Newest first; at most 8. */
  guestIPv4: GuestAddress[];
}

export interface PerPath {
  primary: number;
  standby: number;
}

export interface GroupStats {
  guestDequeued: number;
  txPackets: PerPath;
  txBytes: PerPath;
  txDroppedFull: PerPath;
  txDroppedNoPath: number;
  rxPackets: PerPath;
  rxBytes: PerPath;
  rxDroppedGuest: PerPath;
  rxDroppedInactive: PerPath;
  /** Announcement rounds: one RARP each. */
  announcementsSent: PerPath;
  /** Gratuitous ARPs for the guest's learned addresses, sent with the rounds. */
  garpsSent: PerPath;
  /** At the last switch: microseconds from the last frame on the old path to the first on the new. */
  lastSwitchGapUs: number;
}

export interface NativeAddon {
  start(options: NativeStartOptions, onEvent: (event: NativeEvent) => void): void;
  addGroup(spec: NativeGroupSpec): void;
  removeGroup(name: string): void;
  announce(group: string): void;
  detachPrimary(group: string): TxDrain;
  injectPrimaryRemoval(group: string): void;
  setRxFilter(group: string, filter: UplinkRxFilter): void;
  attachPrimary(group: string, devargs: string, setGuestMac: boolean): void;
  setPrimaryEligible(group: string, eligible: boolean, reason: string): boolean;
  groupStatus(group: string): GroupStatus;
  groupStats(group: string): GroupStats;
  mbufsInUse(): number;
  shutdown(): void;
}

const addonPath = path.resolve(__dirname, '..', '..', '..', 'build', 'Release', 'vhost_failover.node');

export function loadAddon(): NativeAddon {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(addonPath) as NativeAddon;
  } catch (err) {
    throw new Error(
      `cannot load the native data plane from ${addonPath}: ${(err as Error).message}\n` +
        'build it with `npm run build:native` (or run scripts/setup)',
    );
  }
}
