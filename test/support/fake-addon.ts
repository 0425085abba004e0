// A stand-in for the native addon, for unit tests of the control plane's wiring (Daemon, control
// handlers, policy driver, announcer, path history) without root or DPDK. It keeps each group's
// flags as native code does and reports events the way native code does: link and removal
// changes, then a pathSwitched event whenever net_failover's choice changes, delivered
// asynchronously like the thread-safe function. It moves no packets: the data plane itself is
// tested only on real DPDK (test/integration).
import type {
  CaptureLimits,
  CaptureReport,
  DecisionCause,
  DpdkLogLine,
  GroupCounters,
  GroupMbufSizing,
  GroupPortStats,
  GroupStats,
  GroupStatus,
  NativeAddon,
  NativeEvent,
  NativeGroupSpec,
  NativeStartOptions,
  PathName,
  PeerCredentials,
  PortRole,
  PortXstat,
  PrimaryFaultCause,
  PrimaryMacMode,
  RemovalSignal,
  SwitchCause,
  TxDrain,
  UplinkName,
  WorkerStatsReport,
} from '../../src/dataplane/native';
import { COUNTER_LIST } from '../../src/dataplane/counter-list';
import { SWITCH_CAUSES, loadAddon } from '../../src/dataplane/native';
import type { UplinkRxFilter } from '../../src/guest/rx-filter';

interface FakeUplink {
  devargs: string;
  present: boolean;
  linkUp: boolean;
  /** Native code took it out of service (a primaryFault) and it was not reset since. */
  needsReset?: boolean;
}

interface FakeGroup {
  spec: NativeGroupSpec;
  uplinks: Record<UplinkName, FakeUplink>;
  guestConnected: boolean;
  primaryEligible: boolean;
  reportedPath: PathName;
  /** Announcement rounds, by the path they went out on. */
  announcements: Record<PathName, number>;
  rxFilter?: UplinkRxFilter;
}

const ZERO = { primary: 0, standby: 0 };

export class FakeAddon implements NativeAddon {
  readonly switchCauses = SWITCH_CAUSES;
  readonly counters = COUNTER_LIST;
  readonly dpdkVersion = 'DPDK 0.0 (fake)';
  readonly dpdkBuiltVersion = 'DPDK 0.0 (fake)';
  readonly groups = new Map<string, FakeGroup>();
  startOptions?: NativeStartOptions;
  /** Who every control client is, as SO_PEERCRED would say: this process unless a test says otherwise. */
  peer: PeerCredentials = { pid: process.pid, uid: process.getuid!(), gid: process.getgid!(), groups: [] };
  /** Groups whose driver calls a test stalled, and for how long. */
  readonly stalls: Array<{ group: string; ms: number }> = [];
  /** Devargs whose probe fails, as a VF not created yet would: set by a test. */
  readonly unprobeable = new Set<string>();
  /** Devargs whose driver cannot reset (rte_eth_dev_reset fails): set by a test. */
  readonly unresettable = new Set<string>();
  /** Removal signals injected, and the MAC mode of each primary attached, in order. */
  readonly removalSignals: RemovalSignal[] = [];
  readonly primaryMacModes: PrimaryMacMode[] = [];
  /** Primary resets asked for, by group. */
  readonly resets: string[] = [];
  /** carryGuestMac calls, in order. */
  readonly guestMacCarried: Array<{ group: string; carry: boolean }> = [];
  /** Service-manager notifications sent. */
  readonly notifications: string[] = [];
  workerPassCount = 0;
  /** What the one fake worker (lcore 1) has spent and moved: set by a test. */
  workerCycles = { busyCycles: 0, idleCycles: 0, asleepCycles: 0, frames: 0 };
  private onEvent?: (event: NativeEvent) => void;

  start(options: NativeStartOptions, onEvent: (event: NativeEvent) => void, _onLog: (line: DpdkLogLine) => void): void {
    if (this.onEvent) throw new Error('the data plane is already started');
    this.startOptions = options;
    this.onEvent = onEvent;
  }

  addGroup(spec: NativeGroupSpec): string | undefined {
    if (this.groups.has(spec.name)) throw new Error(`group "${spec.name}" already exists`);
    if (this.unprobeable.has(spec.standbyDevargs))
      throw new Error(`group "${spec.name}": standby port: cannot probe device "${spec.standbyDevargs}"`);
    const uplink = (devargs: string): FakeUplink => ({ devargs, present: true, linkUp: true });
    const primaryError = this.unprobeable.has(spec.primaryDevargs)
      ? `primary port: cannot probe device "${spec.primaryDevargs}"`
      : undefined;
    const group: FakeGroup = {
      spec,
      uplinks: {
        primary: primaryError ? { devargs: '', present: false, linkUp: false } : uplink(spec.primaryDevargs),
        standby: uplink(spec.standbyDevargs),
      },
      guestConnected: false,
      primaryEligible: false,
      reportedPath: 'none',
      announcements: { primary: 0, standby: 0, none: 0 },
    };
    this.groups.set(spec.name, group);
    this.reportPath(group, 'link-up', 'standby link up (start)');
    return primaryError;
  }

  removeGroup(name: string): void {
    this.group(name);
    this.groups.delete(name);
  }

  announce(name: string): void {
    const group = this.group(name);
    group.announcements[transmitPath(group)]++;
  }

  detachPrimary(name: string): TxDrain {
    const group = this.group(name);
    if (!group.uplinks.primary.devargs) throw new Error(`group "${name}" has no primary to detach`);
    this.setPrimaryEligible(name, false, 'detached', 'primary detached');
    group.uplinks.primary = { devargs: '', present: false, linkUp: false };
    return 'not-reported';
  }

  injectPrimaryRemoval(name: string, signal: RemovalSignal): void {
    if (!this.group(name).uplinks.primary.devargs) throw new Error(`group "${name}" has no primary`);
    this.removalSignals.push(signal);
    setImmediate(() => this.removeUplink(name, 'primary'));
  }

  injectTxStall(name: string): void {
    if (!this.group(name).uplinks.primary.present) throw new Error(`group "${name}" has no primary in service`);
    this.primaryFault(name, 'tx-stalled');
  }

  injectResetRequest(name: string): void {
    if (!this.group(name).uplinks.primary.devargs) throw new Error(`group "${name}" has no primary`);
    setImmediate(() => this.primaryFault(name, 'reset'));
  }

  carryGuestMac(name: string, carry: boolean): void {
    this.guestMacCarried.push({ group: name, carry });
  }

  resetPrimary(name: string): void {
    const primary = this.group(name).uplinks.primary;
    if (!primary.devargs) throw new Error(`group "${name}" has no primary to reset`);
    this.resets.push(name);
    primary.present = false;
    if (this.unresettable.has(primary.devargs))
      throw new Error('primary port: rte_eth_dev_reset: Operation not supported');
    primary.present = true;
    primary.needsReset = false;
  }

  injectDriverStall(name: string, ms: number): void {
    this.group(name);
    this.stalls.push({ group: name, ms });
  }

  setGarpMaxAge(name: string, ms: number): void {
    this.group(name).spec.garpMaxAgeMs = ms;
  }

  peerCredentials(): PeerCredentials {
    return this.peer;
  }

  setRxFilter(name: string, filter: UplinkRxFilter): void {
    this.group(name).rxFilter = filter;
  }

  attachPrimary(name: string, devargs: string, primaryMac: PrimaryMacMode): void {
    const group = this.group(name);
    this.primaryMacModes.push(primaryMac);
    if (this.unprobeable.has(devargs)) throw new Error(`primary port: cannot probe device "${devargs}"`);
    if (group.uplinks.primary.devargs) throw new Error(`group "${name}" already has a primary; detach it first`);
    group.uplinks.primary = { devargs, present: true, linkUp: false };
  }

  setPrimaryEligible(name: string, eligible: boolean, cause: DecisionCause, reason: string): boolean {
    const group = this.group(name);
    const primary = group.uplinks.primary;
    const usable = primary.present && primary.linkUp && !primary.needsReset;
    group.primaryEligible = eligible && usable;
    this.reportPath(group, cause, reason);
    return !eligible || usable;
  }

  groupStatus(name: string): GroupStatus {
    const group = this.group(name);
    const uplink = (u: FakeUplink) => ({
      devargs: u.devargs,
      kind: u.devargs.startsWith('tap:') ? ('tap' as const) : ('ethdev' as const),
      portId: u.devargs && !u.devargs.startsWith('tap:') ? 1 : 65535,
      present: u.present,
      linkUp: u.linkUp,
      rxFilter: { multicast: 'all', vlan: 'all' },
    });
    return {
      name,
      guestConnected: group.guestConnected,
      primary: uplink(group.uplinks.primary),
      standby: uplink(group.uplinks.standby),
      primaryEligible: group.primaryEligible,
      queues: 1,
      guestRxQueuesEnabled: [0],
      guestQueuesBeyondGroup: false,
      activePath: transmitPath(group),
      announcementPending: false,
      guestIPv4: [],
    };
  }

  groupStats(name: string): GroupStats {
    const group = this.group(name);
    const zero = Object.fromEntries(
      COUNTER_LIST.map(({ name: counter, perPath }) => [counter, perPath ? { ...ZERO } : 0]),
    ) as GroupCounters;
    return {
      ...zero,
      announcementsSent: { primary: group.announcements.primary, standby: group.announcements.standby },
      lastSwitchGapUs: 0,
    };
  }

  mbufsInUse(): number {
    return 0;
  }

  // Pure and EAL-free in the real addon: asked of it, so that no second count exists to drift.
  groupMbufs(group: GroupMbufSizing): number {
    return loadAddon().groupMbufs(group);
  }

  groupPortStats(name: string): GroupPortStats {
    const present = (up: FakeUplink) => ({
      present: up.present,
      ipackets: 0,
      opackets: 0,
      ibytes: 0,
      obytes: 0,
      imissed: 0,
      ierrors: 0,
      oerrors: 0,
      rxNombuf: 0,
      queueIpackets: [0],
      queueOpackets: [0],
    });
    const group = this.group(name);
    return {
      vhost: present({ devargs: 'vhost', present: true, linkUp: true }),
      primary: present(group.uplinks.primary),
      standby: present(group.uplinks.standby),
    };
  }

  workerPasses(): number[] {
    return [++this.workerPassCount];
  }

  /** One worker polling queue 0 of every group; group i's guest is vid i, its uplinks ports 2i and 2i+1. */
  workerStats(): WorkerStatsReport {
    const pollUnits = [...this.groups.values()].map((group, i) => ({
      group: group.spec.name,
      queue: 0,
      ports: { vhost: i, primary: group.uplinks.primary.devargs ? 2 * i : null, standby: 2 * i + 1 },
      frames: this.workerCycles.frames,
    }));
    return {
      tscHz: 2e9,
      workers: [{ lcore: 1, ...this.workerCycles, passes: this.workerPassCount, pollUnits }],
    };
  }

  portXstats(name: string, port: PortRole): PortXstat[] {
    const group = this.group(name);
    if (port !== 'vhost' && !group.uplinks[port].present)
      throw new Error(`group "${name}" has no ${port} port in service`);
    return [
      { name: 'rx_good_packets', value: 7 },
      { name: 'tx_good_packets', value: 5 },
    ];
  }

  /** Each group's last capture as startCapture was asked for it; it runs until a test ends it. */
  readonly captures = new Map<string, { report: CaptureReport; limits: CaptureLimits }>();

  startCapture(name: string, file: string, limits: CaptureLimits): void {
    this.group(name);
    if (this.captures.get(name)?.report.running) throw new Error(`a capture of ${name} is running`);
    const report = { file, running: true, framesWritten: 0, framesDropped: 0, bytesWritten: 24 };
    this.captures.set(name, { report, limits });
  }

  captureReport(name: string): CaptureReport | undefined {
    return this.captures.get(name)?.report;
  }

  notifyService(assignments: string[]): boolean {
    this.notifications.push(assignments.join('\n'));
    return true;
  }

  shutdown(): void {
    this.groups.clear();
    this.onEvent = undefined;
  }

  // What the world does to a group, as the monitor thread or interrupt thread would report it.

  setLink(name: string, uplink: UplinkName, up: boolean): void {
    const group = this.group(name);
    if (uplink === 'primary' && !up) group.primaryEligible = false;
    group.uplinks[uplink].linkUp = up;
    const reason = `${uplink} link ${up ? 'up' : 'down'} (poll)`;
    this.emit({ type: 'link', group: name, port: uplink, up, reason, atNs: process.hrtime.bigint() });
    this.reportPath(group, up ? 'link-up' : 'link-down', reason);
  }

  setGuest(name: string, connected: boolean): void {
    this.group(name).guestConnected = connected;
    const reason = `guest ${connected ? 'connected' : 'disconnected'} (poll)`;
    this.emit({ type: 'guest', group: name, port: 'vhost', up: connected, reason, atNs: process.hrtime.bigint() });
  }

  /** Native code takes the primary out of service, as the worker or the interrupt thread would. */
  primaryFault(name: string, cause: PrimaryFaultCause): void {
    const group = this.group(name);
    group.primaryEligible = false;
    group.uplinks.primary.needsReset = true;
    const reason = `primary ${cause}`;
    this.emit({ type: 'primaryFault', group: name, port: 'primary', cause, reason, atNs: process.hrtime.bigint() });
    this.reportPath(group, cause, reason);
  }

  private removeUplink(name: string, uplink: UplinkName): void {
    const group = this.groups.get(name);
    if (!group) return;
    if (uplink === 'primary') group.primaryEligible = false;
    group.uplinks[uplink].present = false;
    group.uplinks[uplink].linkUp = false;
    const reason = `${uplink} device removed`;
    this.emit({ type: 'removed', group: name, port: uplink, portId: 1, reason, atNs: process.hrtime.bigint() });
    this.reportPath(group, 'removed', reason);
  }

  private group(name: string): FakeGroup {
    const group = this.groups.get(name);
    if (!group) throw new Error(`no group "${name}" (groups: ${[...this.groups.keys()].join(', ')})`);
    return group;
  }

  private reportPath(group: FakeGroup, cause: SwitchCause, reason: string): void {
    const now = transmitPath(group);
    if (now === group.reportedPath) return;
    const from = group.reportedPath;
    group.reportedPath = now;
    this.emit({
      type: 'pathSwitched',
      group: group.spec.name,
      from,
      to: now,
      cause,
      reason,
      atNs: process.hrtime.bigint(),
    });
  }

  /** Like the thread-safe function: delivered later, on the event loop. */
  private emit(event: NativeEvent): void {
    const onEvent = this.onEvent;
    setImmediate(() => onEvent?.(event));
  }
}

function transmitPath(group: FakeGroup): PathName {
  if (group.primaryEligible) return 'primary';
  const standby = group.uplinks.standby;
  return standby.present && standby.linkUp ? 'standby' : 'none';
}
