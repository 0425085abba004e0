// The addon's contract, written once: what native/dpdk/napi/addon.cc exports and the shapes it takes
// and returns, its counters typed from counter-list.ts (generated from native/dpdk/hot/counters.def).
// The only module that loads the addon; everything else uses the typed wrapper in dataplane.ts.
// test/unit/addon-contract.test.ts loads the real addon and holds it to this file.
import path from 'path';
import { AddonFileRefused, loadAddonFile } from './addon-file';
import type { COUNTER_LIST } from './counter-list';
import type { UplinkRxFilter } from '../guest/rx-filter';

export type PathName = 'primary' | 'standby' | 'none';
export type UplinkName = 'primary' | 'standby';
/** A group's three ports: its guest (lib/vhost's, not an ethdev) and its two uplinks. */
export const PORT_ROLES = ['vhost', 'primary', 'standby'] as const;
export type PortRole = (typeof PORT_ROLES)[number];

/**
 * Why the transmitting path changed, in the native enum's order (native/dpdk/control/events.h,
 * kSwitchCauseNames). The control plane passes the last three with its decisions.
 */
export const SWITCH_CAUSES = [
  'link-up',
  'link-down',
  'removed',
  'tx-stalled',
  'reset',
  'detached',
  'operator',
  'policy',
] as const;
export type SwitchCause = (typeof SWITCH_CAUSES)[number];
/** Why native code took the primary out of service until it is reset or re-probed. */
export type PrimaryFaultCause = Extract<SwitchCause, 'tx-stalled' | 'reset'>;
/** The causes the control plane may give when it sets the primary's eligibility. */
export type DecisionCause = Extract<SwitchCause, 'detached' | 'operator' | 'policy'>;

interface EventBase {
  group: string;
  /** Why, in words, for logs and status. */
  reason: string;
  /** CLOCK_MONOTONIC, comparable with process.hrtime.bigint(). */
  atNs: bigint;
}
export interface LinkEvent extends EventBase {
  type: 'link';
  port: UplinkName;
  up: boolean;
}
export interface GuestEvent extends EventBase {
  type: 'guest';
  port: 'vhost';
  up: boolean;
}
export interface RemovedEvent extends EventBase {
  type: 'removed';
  port: UplinkName;
  /** The DPDK port that went away. */
  portId: number;
}
export interface PathSwitchedEvent extends EventBase {
  type: 'pathSwitched';
  from: PathName;
  to: PathName;
  cause: SwitchCause;
}
/**
 * Native code took the primary out of service: its transmit made no progress for 100 ms with its
 * link up (`tx-stalled`), or its driver asked for a reset (`reset`, RTE_ETH_EVENT_INTR_RESET). It
 * is not eligible again until resetPrimary (or a detach and attach) has put it back in service.
 */
export interface PrimaryFaultEvent extends EventBase {
  type: 'primaryFault';
  port: 'primary';
  cause: PrimaryFaultCause;
}
/** The worker measured a switch's gap: last frame on the old path to the first on the new. */
export interface SwitchGapEvent extends EventBase {
  type: 'switchGap';
  gapUs: number;
}
export type NativeEvent =
  LinkEvent | GuestEvent | RemovedEvent | PathSwitchedEvent | SwitchGapEvent | PrimaryFaultEvent;

/**
 * What the primary's start does with the guest's MAC: give it to the port and verify it took
 * (`set`), require that the port already carries it and never write it (`check`), or nothing
 * (`leave`: a vdev's MAC belongs to a host interface).
 */
export type PrimaryMacMode = 'set' | 'check' | 'leave';

/**
 * How a removal reaches native code: ethdev's RMV event, or the device event DPDK raises for the
 * kernel's request to release a vfio device (an SR-IOV VF whose PF lowers sriov_numvfs).
 */
export type RemovalSignal = 'rmv' | 'device-event';

/** A line DPDK logged, with its level (RTE_LOG_EMERG 1 .. RTE_LOG_DEBUG 8). */
export interface DpdkLogLine {
  level: number;
  text: string;
  /** Lines dropped before this one because the queue to JavaScript was full. */
  droppedBefore?: number;
}

/** One port's counters as its driver keeps them (rte_eth_stats_get); the guest's from lib/vhost's per-vring counters. */
export interface PortStats {
  /** False when the port is absent (a detached primary). */
  present: boolean;
  ipackets: number;
  opackets: number;
  ibytes: number;
  obytes: number;
  imissed: number;
  ierrors: number;
  oerrors: number;
  rxNombuf: number;
  /** Per queue (the group's queues, up to 16), where the driver counts them; else zeros. */
  queueIpackets: number[];
  queueOpackets: number[];
}

export interface GroupPortStats {
  vhost: PortStats;
  primary: PortStats;
  standby: PortStats;
}

/** One group queue a worker polls: queue pair `queue` of the group's guest and of both uplinks. */
export interface PollUnitStats {
  group: string;
  queue: number;
  /**
   * The uplinks' DPDK port ids, null while the role has no port (a detached primary); for `vhost`
   * the guest's lib/vhost device id (vid), null while no guest is connected.
   */
  ports: Record<PortRole, number | null>;
  /** Frames this unit's passes moved, both ways, since the group started. */
  frames: number;
}

/** Where one worker lcore's time went since it started, in TSC cycles. */
export interface WorkerStats {
  lcore: number;
  /** In passes that moved frames. */
  busyCycles: number;
  /** In passes that moved none (idle polling). */
  idleCycles: number;
  /** In idle waits: timed sleeps, or asleep on rx interrupts. */
  asleepCycles: number;
  /** Frames moved, both ways (a frame counts where it was received). */
  frames: number;
  passes: number;
  pollUnits: PollUnitStats[];
}

export interface WorkerStatsReport {
  /** TSC cycles per second, to turn cycles into time. */
  tscHz: number;
  workers: WorkerStats[];
}

/** One of a port's extended counters (rte_eth_xstats), by the driver's name. */
export interface PortXstat {
  name: string;
  value: number;
}

/** How long and how much a capture may take (native/dpdk/control/capture.h). */
export interface CaptureLimits {
  durationMs: number;
  /** The file's size, its header included. */
  maxBytes: number;
  /** Bytes kept of each frame. */
  snaplen: number;
}

/** A group's capture, running or ended. */
export interface CaptureReport {
  file: string;
  running: boolean;
  /** Why it ended ("time", "size", "stopped", or a write's error); absent while it runs. */
  ended?: string;
  framesWritten: number;
  /** Frames the workers could not copy (the capture's ring full or its pool empty), or that did not fit. */
  framesDropped: number;
  /** The file's size, its header included. */
  bytesWritten: number;
}

export interface NativeStartOptions {
  ealArgs: string[];
  workerLcores: number[];
  mbufs: number;
  maxMtu: number;
  linkPollIntervalUs: number;
  idleSleepMaxUs: number;
  rxInterrupts: boolean;
}

export interface NativeGroupSpec {
  name: string;
  mac: string;
  mtu: number;
  rx: 'failover' | 'both' | 'active';
  /** rx: failover: how long the standby's frames still reach the guest after the primary takes over. */
  rxGraceMs: number;
  /** Queue pairs on every port of the group. */
  queues: number;
  /** Drop guest frames whose source MAC is not `mac`. */
  spoofCheck: boolean;
  /**
   * The group's vhost-user socket, served by lib/vhost (native/dpdk/control/vhost_user.cc): a
   * client connects to it (QEMU listens) and reconnects; a server listens on it.
   */
  vhostSocket: string;
  vhostClient: boolean;
  primaryDevargs: string;
  standbyDevargs: string;
  primaryMac: PrimaryMacMode;
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

/** How the data plane reaches an uplink: a DPDK ethdev port, or a kernel tap it reads and writes itself. */
export type UplinkKind = 'ethdev' | 'tap';

export interface UplinkStatus {
  devargs: string;
  kind: UplinkKind;
  /** The ethdev port; 65535 for a tap, which has none. */
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
  /** An announcement round asked of the worker and not yet sent (and counted). */
  announcementPending: boolean;
  queues: number;
  /** The guest's receive queues it has enabled (virtio queue pairs it uses); empty before its first. */
  guestRxQueuesEnabled: number[];
  /** The guest enabled queues beyond the group's `queues` (QEMU's queues= too high): their frames are lost. */
  guestQueuesBeyondGroup: boolean;
  /** Newest first; at most 8. */
  guestIPv4: GuestAddress[];
}

export interface PerPath {
  primary: number;
  standby: number;
}

/** The data plane's counters, as native/dpdk/hot/counters.def lists them (one line each, with its help). */
export type CounterSpec = (typeof COUNTER_LIST)[number];
export type CounterName = CounterSpec['name'];
/** Each counter of the list: one number, or one per uplink. */
export type GroupCounters = { [S in CounterSpec as S['name']]: S['perPath'] extends true ? PerPath : number };

export interface GroupStats extends GroupCounters {
  /** At the last switch: microseconds from the last frame on the old path to the first on the new. */
  lastSwitchGapUs: number;
}

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
  /** Supplementary groups as they were when the peer connected (SO_PEERGROUPS). */
  groups: number[];
}

/** What sizes a group's share of the mbuf pools. */
export interface GroupMbufSizing {
  queues: number;
  rxDescriptors: number;
  txDescriptors: number;
  /** Its uplinks that are DPDK ports, whose rings hold mbufs (a tap:NAME uplink holds none). */
  ethdevUplinks: number;
}

export interface NativeAddon {
  start(options: NativeStartOptions, onEvent: (event: NativeEvent) => void, onLog: (line: DpdkLogLine) => void): void;
  /** Returns why the primary could not be probed (the group then runs on its standby), or undefined. */
  addGroup(spec: NativeGroupSpec): string | undefined;
  removeGroup(group: string): void;
  announce(group: string): void;
  detachPrimary(group: string): TxDrain;
  injectPrimaryRemoval(group: string, signal: RemovalSignal): void;
  /** Labs: the primary refuses every frame (its link still up) until it is reset or released. */
  injectTxStall(group: string): void;
  /** Labs: the primary's reset callback runs on the interrupt thread, as after its PF's reset. */
  injectResetRequest(group: string): void;
  /**
   * Puts a primary native code took out of service back: rte_eth_dev_reset, then configured and
   * started as at attach. Throws when the driver cannot (then detach it and attach it again).
   */
  resetPrimary(group: string): void;
  /**
   * A primary started with guestMac 'set', while its guest is away (false: the MAC it had before
   * back) and once it is back (true: the guest's again). Throws when the port or its PF refuses.
   */
  carryGuestMac(group: string, carry: boolean): void;
  setGarpMaxAge(group: string, ms: number): void;
  /** Labs: a native thread holds the group's uplinks' driver-call locks for `ms`. */
  injectDriverStall(group: string, ms: number): void;
  /** Who is at the other end of a connected unix socket (SO_PEERCRED). */
  peerCredentials(fd: number): PeerCredentials;
  setRxFilter(group: string, filter: UplinkRxFilter): void;
  attachPrimary(group: string, devargs: string, primaryMac: PrimaryMacMode): void;
  setPrimaryEligible(group: string, eligible: boolean, cause: DecisionCause, reason: string): boolean;
  groupStatus(group: string): GroupStatus;
  groupStats(group: string): GroupStats;
  mbufsInUse(): number;
  /**
   * The mbufs a group draws from the pools at most, as the data plane reserves them
   * (native/dpdk/control/mbuf_sizing.h, the one definition). Needs no EAL: the check before start
   * (src/host/preflight.ts) asks it.
   */
  groupMbufs(group: GroupMbufSizing): number;
  groupPortStats(group: string): GroupPortStats;
  /** Passes each worker lcore has made; one that stops advancing is stuck. */
  workerPasses(): number[];
  /** Each worker's busy, idle and asleep cycles, frames, and the units it polls. */
  workerStats(): WorkerStatsReport;
  /** A port's xstats, read now under its driver-call lock; throws when the port is absent or stays busy. */
  portXstats(group: string, port: PortRole): PortXstat[];
  /** Mirrors the group's frames into a new pcap file until the limits run out; one capture per group at a time. */
  startCapture(group: string, file: string, limits: CaptureLimits): void;
  /** The group's last capture, or undefined if it had none. */
  captureReport(group: string): CaptureReport | undefined;
  /** Sends a service-manager notification (sd_notify); false without $NOTIFY_SOCKET. */
  /** systemd's notify protocol: `KEY=value` assignments, sent as one datagram of lines. */
  notifyService(assignments: string[]): boolean;
  shutdown(): void;
  /** The native SwitchCause names, in enum order: must equal SWITCH_CAUSES. */
  readonly switchCauses: readonly string[];
  /** native/dpdk/hot/counters.def as the addon was built with it: must equal COUNTER_LIST. */
  readonly counters: readonly CounterSpec[];
  /** The loaded DPDK's version string (rte_version()), e.g. "DPDK 22.11.9". */
  readonly dpdkVersion: string;
  /** The version of the DPDK headers the addon was compiled with, in the same form. */
  readonly dpdkBuiltVersion: string;
}

type FunctionName = {
  [K in keyof NativeAddon]: NativeAddon[K] extends (...args: never[]) => unknown ? K : never;
}[keyof NativeAddon];

/** Every function the addon exports: the contract test loads the addon and compares. */
export const ADDON_FUNCTIONS = [
  'start',
  'addGroup',
  'removeGroup',
  'announce',
  'detachPrimary',
  'injectPrimaryRemoval',
  'injectDriverStall',
  'injectTxStall',
  'injectResetRequest',
  'resetPrimary',
  'carryGuestMac',
  'setGarpMaxAge',
  'peerCredentials',
  'setRxFilter',
  'attachPrimary',
  'setPrimaryEligible',
  'groupStatus',
  'groupStats',
  'mbufsInUse',
  'groupMbufs',
  'groupPortStats',
  'workerPasses',
  'workerStats',
  'portXstats',
  'startCapture',
  'captureReport',
  'notifyService',
  'shutdown',
] as const satisfies readonly FunctionName[];

// Fails to compile while a function of NativeAddon is missing from the list above.
type Unlisted = Exclude<FunctionName, (typeof ADDON_FUNCTIONS)[number]>;
const everyFunctionListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyFunctionListed;

// VHOST_FAILOVER_ADDON names another build of the addon: the sanitizer build (docs/lab/
// testing.md, Sanitizers), which the lab starts the daemon with under VHOST_FAILOVER_SANITIZE=1. Either file
// must pass addon-file.ts's owner and mode checks.
export const addonPath = path.resolve(
  process.env.VHOST_FAILOVER_ADDON ?? path.join(__dirname, '..', '..', '..', 'build', 'Release', 'vhost_failover.node'),
);

// Loaded once per process, as require() would: the addon's state is the process's.
let loaded: NativeAddon | undefined;

export function loadAddon(): NativeAddon {
  try {
    loaded ??= loadAddonFile(addonPath, (openPath) => {
      const module = { exports: {} };
      process.dlopen(module, openPath);
      return module.exports as NativeAddon;
    });
    return loaded;
  } catch (err) {
    if (err instanceof AddonFileRefused) throw err;
    throw new Error(
      `cannot load the native data plane from ${addonPath}: ${(err as Error).message}\n` +
        'build it with `npm run build:native` (or run scripts/setup)',
    );
  }
}
