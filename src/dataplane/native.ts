// The only module that loads the native addon. Everything else uses the typed wrapper in
// dataplane.ts.
import path from 'path';

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
}

export interface UplinkStatus {
  devargs: string;
  portId: number;
  present: boolean;
  linkUp: boolean;
}

export interface GroupStatus {
  name: string;
  guestConnected: boolean;
  primary: UplinkStatus;
  standby: UplinkStatus;
  primaryEligible: boolean;
  activePath: PathName;
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
  announcementsSent: PerPath;
  /** At the last switch: microseconds from the last frame on the old path to the first on the new. */
  lastSwitchGapUs: number;
}

export interface NativeAddon {
  start(options: NativeStartOptions, onEvent: (event: NativeEvent) => void): void;
  addGroup(spec: NativeGroupSpec): void;
  removeGroup(name: string): void;
  announce(group: string): void;
  detachPrimary(group: string): void;
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
