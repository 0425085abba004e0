// Everything the control plane runs for one group, in one object: its native handle, failover
// policy, announcer, path history, failover-gap histogram, guest receive-filter sync, the
// retrying of a primary that could not be probed, and the bridges its taps join. The daemon
// creates one per group and routes the group's native events here; nothing else keeps per-group
// state.
import { kernelInterface } from '../config/devargs-rules';
import { checkDeviceClaim } from '../host/device-claims';
import { downPfOf } from '../host/pf-link';
import type { AnnounceConfig, FailoverConfig, GroupConfig, UplinkConfig } from '../config';
import type {
  CaptureLimits,
  CaptureReport,
  DataplaneGroup,
  GroupPortStats,
  NativeEvent,
  PortRole,
  PortXstat,
  PrimaryFaultCause,
  RemovalSignal,
  UplinkName,
} from '../dataplane';
import { primaryMacMode } from '../dataplane';
import { Announcer } from '../failover/announcer';
import { GapHistogram, type GapHistogramSnapshot } from '../failover/gap-histogram';
import { PathHistory } from '../failover/path-history';
import type { OperatorCommand } from '../failover/policy';
import { PolicyDriver } from '../failover/policy-driver';
import { PASS_ALL } from '../guest/rx-filter';
import { RxFilterSync } from '../guest/rx-filter-sync';
import type { Logger } from '../log';
import { joinBridge } from './bridge-port';
import type { DetachReport, GroupStatsReport, GroupStatusReport, GroupView, SwitchReport } from './reports';
import { RetryWithBackoff } from './retry-backoff';

/** The daemon-wide settings a group runs with. */
export interface GroupRuntimeSettings {
  /** The global announce settings with the group's own on top. */
  announce: AnnounceConfig;
  failover: FailoverConfig;
  /** Longest wait between tries of a primary that could not be probed. */
  retryMaxMs: number;
}

/** Where the group came from: the config file, or an add-group at run time (not saved). */
export type GroupOrigin = 'config file' | 'add-group';

export class GroupRuntime implements GroupView {
  readonly name: string;
  /** As running: a primary attached at run time in place of the configured one. */
  private running: GroupConfig;
  private readonly log: Logger;
  private readonly policy: PolicyDriver;
  private readonly announcer: Announcer;
  private readonly history = new PathHistory();
  private readonly gaps = new GapHistogram();
  private rxFilterSync?: RxFilterSync;
  private readonly primaryRetry: RetryWithBackoff;
  /** The primary the retry tries: the configured one, or the one that was removed. */
  private retryTarget: UplinkConfig;
  /** Per uplink with `bridge`: the bridge it joined, or why it could not (and is tried again). */
  private readonly bridged: Partial<Record<UplinkName, string>> = {};
  private readonly bridgeRetries: Partial<Record<UplinkName, RetryWithBackoff>> = {};
  private readonly retryMaxMs: number;
  /** The operator took the configured primary away (detach) or put another one in (attach). */
  private primaryByOperator?: 'detached' | 'attached';
  /** guestMac 'set' with the guest away: the primary carries its own MAC (carryGuestMac). */
  private primaryOwnMacBack = false;

  /** `native` has just been added; `primaryError` says why its primary could not be probed. */
  constructor(
    private configured: GroupConfig,
    private readonly native: DataplaneGroup,
    settings: GroupRuntimeSettings,
    log: Logger,
    readonly origin: GroupOrigin,
    primaryError?: string,
  ) {
    this.name = configured.name;
    this.running = configured;
    this.retryTarget = configured.primary;
    this.retryMaxMs = settings.retryMaxMs;
    this.log = log.child({ group: configured.name });
    this.joinBridge('standby', configured.standby);
    if (!primaryError) this.joinBridge('primary', configured.primary);
    this.announcer = new Announcer(native, settings.announce, this.log, native.status().guestConnected);
    this.policy = new PolicyDriver(native, settings.failover, native.status(), this.log);
    if (configured.qmp) {
      this.rxFilterSync = new RxFilterSync(native, configured.mtu, configured.qmp, this.log);
      this.rxFilterSync.start();
    }
    this.primaryRetry = new RetryWithBackoff(
      () => {
        this.attachPrimary(this.retryTarget, 'retry');
      },
      settings.retryMaxMs,
      (error, retryInMs) =>
        this.log.warn({ error, retryInMs }, 'primary not there: running on the standby, trying it again'),
    );
    if (primaryError) this.primaryRetry.start(primaryError);
  }

  get config(): GroupConfig {
    return this.running;
  }

  onEvent(event: NativeEvent): void {
    this.logEvent(event);
    if (event.type === 'switchGap') return this.gaps.observe(event.gapUs);
    if (event.type === 'pathSwitched') {
      this.history.observe(event);
      this.announcer.onPathSwitched(event);
    }
    if (event.type === 'guest') {
      this.carryGuestMac(event.up);
      this.announcer.onGuest(event.up);
    }
    this.policy.onEvent(event);
    if (event.type === 'removed' && event.port === 'primary') this.closeRemovedPrimary(event.portId);
    if (event.type === 'primaryFault') this.recoverPrimary(event.cause);
  }

  status(): GroupStatusReport {
    const native = this.native.status();
    return {
      ...native,
      // Rounds still to come, or the last one asked of the worker and not yet on the wire.
      announcing: this.announcer.pending() || native.announcementPending,
      lastSwitch: this.history.last() ?? null,
      policy: this.policy.snapshot(),
      guestRxFilter: this.rxFilterSync?.status() ?? null,
      primaryRetry: this.primaryRetry.pending ? this.primaryRetry.state() : null,
      bridges: { ...this.bridged },
      notSaved: this.notSaved(),
    };
  }

  stats(): GroupStatsReport {
    return { ...this.native.stats(), switches: this.history.last()?.switchesByKind ?? {} };
  }

  portStats(): GroupPortStats {
    return this.native.portStats();
  }

  portXstats(port: PortRole): PortXstat[] {
    return this.native.portXstats(port);
  }

  startCapture(file: string, limits: CaptureLimits): void {
    this.native.startCapture(file, limits);
  }

  captureReport(): CaptureReport | undefined {
    return this.native.captureReport();
  }

  switchGaps(): GapHistogramSnapshot {
    return this.gaps.snapshot();
  }

  /** An operator command to the failover policy. */
  command(to: OperatorCommand): SwitchReport {
    const { primaryEligible, reason, changed } = this.policy.command(to);
    return { primaryEligible, reason, changed, activePath: this.native.status().activePath };
  }

  /**
   * Planned removal of the primary (VF maintenance, migration): no frame is lost. On a group
   * still waiting for its primary, it stops the waiting: the operator's word is no primary until
   * one is attached.
   */
  detachPrimary(): DetachReport {
    const waiting = this.primaryRetry.pending;
    this.primaryRetry.cancel();
    if (!this.native.status().primary.devargs) {
      if (!waiting) throw new Error(`group "${this.name}" has no primary to detach`);
      this.primaryByOperator = 'detached';
      this.log.info('retries of the primary stopped by a detach');
      return { ...this.status(), txDrain: 'not-reported' };
    }
    this.policy.primaryPresence(false, 'detached');
    const txDrain = this.native.detachPrimary();
    this.primaryByOperator = 'detached';
    this.log[txDrain === 'timed-out' ? 'warn' : 'info']({ txDrain }, 'primary detached');
    return { ...this.status(), txDrain };
  }

  /** A reload named another primary: make before break, then tried again if it is not there. */
  replacePrimary(primary: UplinkConfig): void {
    this.primaryRetry.cancel();
    if (this.native.status().primary.devargs) this.detachPrimary();
    this.retryTarget = primary;
    this.primaryByOperator = undefined;
    try {
      this.attachPrimary(primary, 'retry');
    } catch (err) {
      this.primaryRetry.start((err as Error).message);
    }
  }

  /**
   * A new primary: by the operator (after maintenance, after a migration to this host; checked by
   * the caller), or the configured one being tried again.
   */
  attachPrimary(primary: UplinkConfig, by: 'operator' | 'retry' = 'operator'): GroupStatusReport {
    checkDeviceClaim(primary.devargs);
    const downPf = by === 'retry' ? downPfOf(primary.devargs) : undefined;
    if (downPf) throw new Error(`its PF ${downPf} is down: the VF is probed again once its PF is up`);
    this.native.attachPrimary(primary);
    this.primaryOwnMacBack = false; // a port's start gives it the guest's MAC
    this.primaryRetry.cancel();
    if (by === 'operator') this.primaryByOperator = 'attached';
    this.running = { ...this.running, primary };
    this.joinBridge('primary', primary);
    this.policy.primaryPresence(true, 'attached');
    this.log.info({ devargs: primary.devargs, by }, 'primary attached');
    return this.status();
  }

  injectPrimaryRemoval(signal: RemovalSignal): void {
    this.native.injectPrimaryRemoval(signal);
  }

  injectResetRequest(): void {
    this.native.injectResetRequest();
    this.log.warn("fault injection: the primary's driver asks for a reset");
  }

  injectTxStall(): void {
    this.native.injectTxStall();
    this.log.warn('fault injection: the primary refuses every frame until it is reset');
  }

  injectDriverStall(ms: number): void {
    this.native.injectDriverStall(ms);
    this.log.warn({ ms }, 'fault injection: driver calls on both uplinks stall');
  }

  /** New daemon-wide settings (a reload): policy and announcements change, the ports stay. */
  reconfigure(settings: GroupRuntimeSettings): void {
    this.announcer.reconfigure(settings.announce);
    this.native.setGarpMaxAge(settings.announce.garpMaxAgeMs);
    this.policy.reconfigure(settings.failover);
  }

  /** The group's own entry changed where it can be applied live (a reload): QMP and announcements. */
  reconfigureGroup(config: GroupConfig, settings: GroupRuntimeSettings): void {
    this.reconfigure(settings);
    if (JSON.stringify(config.qmp) !== JSON.stringify(this.configured.qmp)) {
      this.rxFilterSync?.stop();
      // The old guest's filter goes: the uplinks pass everything until the new QMP says otherwise.
      this.native.setRxFilter(PASS_ALL);
      this.rxFilterSync = config.qmp ? new RxFilterSync(this.native, config.mtu, config.qmp, this.log) : undefined;
      this.rxFilterSync?.start();
    }
    this.configured = { ...config, primary: config.primary };
    this.running = { ...this.running, qmp: config.qmp, announce: config.announce };
  }

  /** Stops the control plane's timers and QMP, then the native group (ports closed). */
  stop(): void {
    this.primaryRetry.cancel();
    for (const retry of Object.values(this.bridgeRetries)) retry?.cancel();
    this.rxFilterSync?.stop();
    this.announcer.stop();
    this.policy.stop();
    this.native.remove();
  }

  /** What runs here that a restart would not bring back, as the operator should hear it. */
  private notSaved(): string[] {
    const notes: string[] = [];
    if (this.origin === 'add-group') notes.push('added at run time; not in the config file');
    if (this.primaryByOperator === 'detached')
      notes.push(`primary detached at run time; the config file names ${this.configured.primary.devargs}`);
    if (this.primaryByOperator === 'attached' && this.running.primary.devargs !== this.configured.primary.devargs)
      notes.push(
        `primary ${this.running.primary.devargs} attached at run time; the config file names ${this.configured.primary.devargs}`,
      );
    const command = this.policy.snapshot().command;
    if (command !== 'auto') notes.push(`operator command "${command}" (in memory only)`);
    return notes;
  }

  /**
   * Puts a tap's kernel side into its configured bridge. A failure (the bridge not made yet at
   * boot) is reported and tried again, never fatal.
   */
  private joinBridge(path: UplinkName, uplink: UplinkConfig): void {
    const iface = kernelInterface(uplink.devargs);
    const bridge = uplink.bridge;
    this.bridgeRetries[path]?.cancel();
    if (!bridge || !iface) return;
    const join = () => {
      joinBridge(iface, bridge);
      this.bridged[path] = bridge;
    };
    try {
      join();
    } catch (err) {
      const retry = (this.bridgeRetries[path] ??= new RetryWithBackoff(
        () => join(),
        this.retryMaxMs,
        (error, retryInMs) => {
          this.bridged[path] = `not joined: ${error}`;
          this.log.error({ path, error, retryInMs }, `the ${path} path is out of its bridge; trying again`);
        },
      ));
      retry.start((err as Error).message);
    }
  }

  /**
   * A surprise-removed primary is closed here, on the Node thread, not in the callback: at once,
   * for the kernel may be waiting for the daemon to let the device go (a VF's PF lowering
   * sriov_numvfs blocks until then).
   */
  private closeRemovedPrimary(portId: number): void {
    // The event may arrive after an operator's detach and attach: leave a new primary alone.
    const primary = this.native.status().primary;
    if (primary.portId !== portId || primary.present) return;
    this.closeAndRetryPrimary('primary device removed');
  }

  /**
   * Native code took the primary out of service (a transmit stall, a reset its driver asked for):
   * the port is reset on the Node thread, where every port is probed and closed, once this event's
   * switch has been handled. A driver that cannot reset (or a reset that fails) has its device
   * closed and probed afresh by the retry, as after a removal. The policy lets it carry traffic
   * again only after that, and after the failback delay.
   */
  private recoverPrimary(cause: PrimaryFaultCause): void {
    const portId = this.native.status().primary.portId;
    setImmediate(() => {
      // A detach, an attach or a removal may have come first: leave another primary alone.
      if (this.policy.snapshot().primaryFault !== cause || this.native.status().primary.portId !== portId) return;
      const started = performance.now();
      try {
        this.native.resetPrimary();
      } catch (err) {
        const error = (err as Error).message;
        this.log.error({ cause, error }, 'primary reset failed: closing it and probing it afresh');
        this.policy.primaryPresence(false, 'reprobing');
        this.closeAndRetryPrimary(`primary ${cause}; its reset failed: ${error}`);
        return;
      }
      this.primaryOwnMacBack = false; // the reset's start gave it the guest's MAC
      const resetMs = Math.round(performance.now() - started);
      this.log.warn({ cause, resetMs }, 'primary reset: back in service, failing back by the policy');
      this.policy.primaryRestored();
    });
  }

  /**
   * With guestMac 'set', the primary carries the guest's MAC only while the guest is here: once it
   * leaves (migrated away, the group kept), the VF's own MAC (its administrator's) is back, so the
   * source host's VF no longer takes the guest's frames; the guest's is set again when it comes
   * back. A PF's mailbox round trip each, on this thread: only on a change.
   */
  private carryGuestMac(carry: boolean): void {
    const primary = this.native.status().primary;
    if (!primary.present || primaryMacMode(this.running.primary) !== 'set') return;
    if (carry !== this.primaryOwnMacBack) return;
    try {
      this.native.carryGuestMac(carry);
      this.primaryOwnMacBack = !carry;
      this.log.info(
        { devargs: primary.devargs },
        carry ? "primary given the guest's MAC again" : 'primary given its own MAC back',
      );
    } catch (err) {
      this.log.error(
        { devargs: primary.devargs, error: (err as Error).message },
        "the primary's MAC could not be changed",
      );
    }
  }

  private closeAndRetryPrimary(reason: string): void {
    try {
      this.native.detachPrimary();
      // A VF that vanished (a PF reset, a VF reset) usually comes back at the same address.
      this.retryTarget = this.running.primary;
      this.primaryRetry.start(reason);
    } catch (err) {
      this.log.error({ err }, 'closing the primary failed');
    }
  }

  private logEvent(event: NativeEvent): void {
    const { atNs, group: _group, ...fields } = event;
    const level = event.type === 'link' && !event.up ? 'warn' : event.type === 'switchGap' ? 'debug' : 'info';
    this.log[level]({ event: { ...fields, atNs: atNs.toString() } }, event.reason);
  }
}
