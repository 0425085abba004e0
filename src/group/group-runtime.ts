// Everything the control plane runs for one group, in one object: its native handle, failover
// policy, announcer, path history and guest receive-filter sync. The daemon creates one per
// group and routes the group's native events here; nothing else keeps per-group state.
import type { AnnounceConfig, FailoverConfig, GroupConfig, UplinkConfig } from '../config';
import type { DataplaneGroup, NativeEvent } from '../dataplane';
import { Announcer } from '../failover/announcer';
import { PathHistory } from '../failover/path-history';
import type { OperatorCommand } from '../failover/policy';
import { PolicyDriver } from '../failover/policy-driver';
import { RxFilterSync } from '../guest/rx-filter-sync';
import type { Logger } from '../log';
import type { DetachReport, GroupStatsReport, GroupStatusReport, GroupView, SwitchReport } from './reports';

/** The daemon-wide settings a group runs with. */
export interface GroupRuntimeSettings {
  /** The global announce settings with the group's own on top. */
  announce: AnnounceConfig;
  failover: FailoverConfig;
}

export class GroupRuntime implements GroupView {
  readonly name: string;
  /** As configured, with a primary attached at run time in place of the configured one. */
  private currentConfig: GroupConfig;
  private readonly log: Logger;
  private readonly policy: PolicyDriver;
  private readonly announcer: Announcer;
  private readonly history = new PathHistory();
  private readonly rxFilterSync?: RxFilterSync;

  /** `native` has just been added to the data plane; the policy starts from its state now. */
  constructor(
    config: GroupConfig,
    private readonly native: DataplaneGroup,
    settings: GroupRuntimeSettings,
    log: Logger,
  ) {
    this.name = config.name;
    this.currentConfig = config;
    this.log = log.child({ group: config.name });
    this.announcer = new Announcer(native, settings.announce, this.log);
    this.policy = new PolicyDriver(native, settings.failover, native.status(), this.log);
    if (config.qmp) {
      this.rxFilterSync = new RxFilterSync(native, config.mtu, config.qmp, this.log);
      this.rxFilterSync.start();
    }
  }

  get config(): GroupConfig {
    return this.currentConfig;
  }

  onEvent(event: NativeEvent): void {
    this.logEvent(event);
    if (event.type === 'pathSwitched') {
      this.history.observe(event);
      this.announcer.onPathSwitched(event);
    }
    this.policy.onEvent(event);
    if (event.type === 'removed' && event.port === 'primary') this.closeRemovedPrimary(event.portId);
  }

  status(): GroupStatusReport {
    return {
      ...this.native.status(),
      announcing: this.announcer.pending(),
      lastSwitch: this.history.last() ?? null,
      policy: this.policy.snapshot(),
      guestRxFilter: this.rxFilterSync?.status() ?? null,
    };
  }

  stats(): GroupStatsReport {
    return { ...this.native.stats(), switches: this.history.last()?.switchesByKind ?? {} };
  }

  /** An operator command to the failover policy. */
  command(to: OperatorCommand): SwitchReport {
    const { primaryEligible, reason, changed } = this.policy.command(to);
    return { primaryEligible, reason, changed, activePath: this.native.status().activePath };
  }

  /** Planned removal of the primary (VF maintenance, migration): no frame is lost. */
  detachPrimary(): DetachReport {
    this.policy.primaryPresence(false, 'detached');
    const txDrain = this.native.detachPrimary();
    this.log[txDrain === 'timed-out' ? 'warn' : 'info']({ txDrain }, 'primary detached');
    return { ...this.status(), txDrain };
  }

  /** A new primary (after maintenance, or after a migration to this host); checked by the caller. */
  attachPrimary(primary: UplinkConfig): GroupStatusReport {
    this.native.attachPrimary(primary);
    this.currentConfig = { ...this.currentConfig, primary };
    this.policy.primaryPresence(true, 'attached');
    this.log.info({ devargs: primary.devargs }, 'primary attached');
    return this.status();
  }

  injectPrimaryRemoval(): void {
    this.native.injectPrimaryRemoval();
  }

  injectDriverStall(ms: number): void {
    this.native.injectDriverStall(ms);
    this.log.warn({ ms }, 'fault injection: driver calls on both uplinks stall');
  }

  /** Stops the control plane's timers and QMP, then the native group (ports closed). */
  stop(): void {
    this.rxFilterSync?.stop();
    this.announcer.stop();
    this.policy.stop();
    this.native.remove();
  }

  /** A surprise-removed primary is closed here, on the Node thread, not in the callback. */
  private closeRemovedPrimary(portId: number): void {
    try {
      // The event may arrive after an operator's detach and attach: leave a new primary alone.
      const primary = this.native.status().primary;
      if (primary.portId !== portId || primary.present) return;
      this.native.detachPrimary();
      this.log.warn('surprise-removed primary closed; attach a new one when it is back');
    } catch (err) {
      this.log.error({ err }, 'closing the removed primary failed');
    }
  }

  private logEvent(event: NativeEvent): void {
    const { atNs, group: _group, ...fields } = event;
    const level = event.type === 'link' && !event.up ? 'warn' : 'info';
    this.log[level]({ event: { ...fields, atNs: atNs.toString() } }, event.reason);
  }
}
