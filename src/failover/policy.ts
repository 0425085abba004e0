// The failover policy of one group: when the primary uplink may carry the guest's traffic again.
// The native data plane drops an unusable primary by itself; this decides everything slower:
// failback (revertive delay, or never without the operator), flap damping, operator overrides.
// Pure: no timers, no I/O. The caller passes the time and calls tick() at nextDeadlineMs().
import type { FailoverConfig, FlapDampingConfig } from '../config';
import type { DecisionCause, PrimaryFaultCause } from '../dataplane';
import { FlapDamper } from './flap-damping';

export type { FlapDampingConfig };
/** The policy's settings are the config file's `failover` section, defaults and all. */
export type PolicyConfig = FailoverConfig;
export type FailbackMode = FailoverConfig['mode'];
export type OperatorCommand = 'auto' | 'primary' | 'standby';
/** `reprobing`: a primary native code took out of service could not be reset; it is probed afresh. */
export type PresenceCause = 'attached' | 'detached' | 'removed' | 'reprobing';

export interface Decision {
  primaryEligible: boolean;
  /** The input and the rule that decided, for logs and status. */
  reason: string;
  /** Who decided, for the path switch it may cause: an operator command, a detach, or the policy. */
  cause: DecisionCause;
  /** primaryEligible differs from the previous decision. */
  changed: boolean;
}

export interface PolicySnapshot {
  mode: FailbackMode;
  command: OperatorCommand;
  primaryEligible: boolean;
  primaryPresent: boolean;
  primaryLinkUp: boolean;
  /** Native code took the primary out of service and it has not been reset since. */
  primaryFault: PrimaryFaultCause | null;
  standbyLinkUp: boolean;
  guestConnected: boolean;
  failbackAtMs: number | undefined;
  dampedUntilMs: number | undefined;
  /** Primary transitions to unusable within the flap window, as of the last input. */
  recentFlapCount: number;
  lastReason: string;
}

interface Verdict {
  eligible: boolean;
  why: string;
  /** An operator command decided (rules 3 and 4). */
  byOperator?: true;
  /** The rule keeping a usable primary off, named for the standby-down override. */
  blocker?: string;
}

const COMMAND_INPUT: Record<OperatorCommand, string> = {
  auto: 'operator: auto',
  primary: 'operator: force primary',
  standby: 'operator: force standby',
};

export class FailoverPolicy {
  private readonly damper: FlapDamper;
  private operatorCommand: OperatorCommand = 'auto';
  private primaryPresent = false;
  private primaryAbsence: 'not attached' | PresenceCause = 'not attached';
  private primaryLinkUp = false;
  /** Out of service until reset: its link may read up, but it does not transmit (or asked for a reset). */
  private primaryFaulted: PrimaryFaultCause | null = null;
  // A tap rarely reports link changes: assume it is up until told otherwise.
  private standbyLinkUp = true;
  private guestConnected = false;
  /** The primary has not carried traffic yet and the operator has not forced standby. */
  private awaitingBringUp = true;
  /** Start of the period the failback delay counts: primary usable, under 'auto'. */
  private failbackDelayFromMs: number;
  private primaryEligible = false;
  private lastReason = 'primary not attached';
  private lastNowMs: number;

  constructor(
    private config: PolicyConfig,
    nowMs: number,
  ) {
    this.damper = new FlapDamper(config.flapDamping);
    this.failbackDelayFromMs = nowMs;
    this.lastNowMs = nowMs;
  }

  primaryLink(up: boolean, nowMs: number): Decision {
    return this.primaryChanged(`primary link ${up ? 'up' : 'down'}`, nowMs, () => {
      this.primaryLinkUp = up;
    });
  }

  /**
   * Native code took the primary out of service (`tx-stalled`: its transmit made no progress with
   * its link up; `reset`: its driver asked for one). A transition to unusable like a link loss, so
   * flap damping counts it; it is usable again only once reset (primaryRestored) or probed afresh.
   */
  primaryFault(cause: PrimaryFaultCause, nowMs: number): Decision {
    return this.primaryChanged(`primary ${cause === 'reset' ? 'reset requested' : 'tx stalled'}`, nowMs, () => {
      this.primaryFaulted = cause;
    });
  }

  /** The primary was reset: it may carry traffic again once its link is up, after the failback delay. */
  primaryRestored(nowMs: number): Decision {
    return this.primaryChanged('primary reset: back in service', nowMs, () => {
      this.primaryFaulted = null;
    });
  }

  primaryPresence(present: boolean, cause: PresenceCause, nowMs: number): Decision {
    const decision = this.primaryChanged(`primary ${cause}`, nowMs, () => {
      this.primaryPresent = present;
      // A device attached is probed afresh; one gone has no fault left to mend.
      this.primaryFaulted = null;
      if (present) return;
      this.primaryAbsence = cause;
      // A device attached later is a new port: it reports its own link state.
      this.primaryLinkUp = false;
    });
    return cause === 'detached' ? { ...decision, cause: 'detached' } : decision;
  }

  standbyLink(up: boolean, nowMs: number): Decision {
    this.standbyLinkUp = up;
    return this.decide(nowMs, `standby link ${up ? 'up' : 'down'}`);
  }

  guest(connected: boolean, nowMs: number): Decision {
    this.guestConnected = connected;
    return this.decide(nowMs, `guest ${connected ? 'connected' : 'disconnected'}`);
  }

  command(command: OperatorCommand, nowMs: number): Decision {
    if (command !== this.operatorCommand) {
      if (command === 'auto') this.failbackDelayFromMs = nowMs;
      if (command === 'standby') this.awaitingBringUp = false;
      this.operatorCommand = command;
    }
    return { ...this.decide(nowMs, COMMAND_INPUT[command]), cause: 'operator' };
  }

  /** New settings (a reload): the flap history and the operator's command stay. */
  reconfigure(config: PolicyConfig, nowMs: number): Decision {
    this.config = config;
    this.damper.reconfigure(config.flapDamping);
    return this.decide(nowMs, 'settings reloaded');
  }

  tick(nowMs: number): Decision {
    return this.decide(nowMs);
  }

  nextDeadlineMs(): number | undefined {
    const deadlines = [this.pendingFailbackAtMs(), this.damper.heldUntilMs()];
    const due = deadlines.filter((atMs): atMs is number => atMs !== undefined);
    return due.length > 0 ? Math.min(...due) : undefined;
  }

  snapshot(): PolicySnapshot {
    return {
      mode: this.config.mode,
      command: this.operatorCommand,
      primaryEligible: this.primaryEligible,
      primaryPresent: this.primaryPresent,
      primaryLinkUp: this.primaryLinkUp,
      primaryFault: this.primaryFaulted,
      standbyLinkUp: this.standbyLinkUp,
      guestConnected: this.guestConnected,
      failbackAtMs: this.pendingFailbackAtMs(),
      dampedUntilMs: this.damper.heldUntilMs(),
      recentFlapCount: this.damper.recentFlapCount(this.lastNowMs),
      lastReason: this.lastReason,
    };
  }

  private primaryUsable(): boolean {
    return this.primaryPresent && this.primaryLinkUp && !this.primaryFaulted;
  }

  private primaryChanged(input: string, nowMs: number, apply: () => void): Decision {
    const wasUsable = this.primaryUsable();
    apply();
    const usable = this.primaryUsable();
    if (usable && !wasUsable) this.failbackDelayFromMs = nowMs;
    const flapNote = !usable && wasUsable ? this.damper.recordFlap(nowMs) : undefined;
    return this.decide(nowMs, input, flapNote);
  }

  private decide(nowMs: number, input?: string, note?: string): Decision {
    this.lastNowMs = nowMs;
    const holdOver = this.damper.expire(nowMs);
    const verdict = this.evaluate(nowMs);
    const changed = verdict.eligible !== this.primaryEligible;
    this.primaryEligible = verdict.eligible;
    if (verdict.eligible) this.awaitingBringUp = false;
    // A Set, so that a verdict repeating its input ("primary link down") is said once.
    const parts = new Set([input, note, holdOver, verdict.why].filter((part) => part));
    this.lastReason = [...parts].join('; ');
    const cause = verdict.byOperator ? 'operator' : 'policy';
    return { primaryEligible: verdict.eligible, reason: this.lastReason, cause, changed };
  }

  private evaluate(nowMs: number): Verdict {
    if (!this.primaryUsable()) return { eligible: false, why: this.unusableWhy() };
    const verdict = this.evaluateUsable(nowMs);
    if (verdict.eligible || this.standbyLinkUp) return verdict;
    // Dropping all traffic is never better than a primary that works.
    const why = `standby down and primary usable: using primary despite ${verdict.blocker}`;
    return { eligible: true, why };
  }

  private evaluateUsable(nowMs: number): Verdict {
    if (this.operatorCommand === 'standby') {
      return { eligible: false, why: COMMAND_INPUT.standby, blocker: 'operator standby', byOperator: true };
    }
    if (this.operatorCommand === 'primary') return { eligible: true, why: COMMAND_INPUT.primary, byOperator: true };
    if (this.primaryEligible) return { eligible: true, why: 'keeping primary (it is working)' };
    if (this.awaitingBringUp) {
      return { eligible: true, why: 'initial bring-up: using primary at once' };
    }
    if (this.config.mode === 'non-revertive') {
      const why = "staying on standby until operator says 'primary' (non-revertive)";
      return { eligible: false, why, blocker: 'non-revertive mode' };
    }
    const failbackAtMs = this.revertiveFailbackAtMs();
    if (nowMs >= failbackAtMs) {
      const stableMs = nowMs - this.failbackDelayFromMs;
      return { eligible: true, why: `primary stable for ${stableMs} ms: failing back` };
    }
    const heldOff = failbackAtMs === this.damper.heldUntilMs();
    const afterHold = heldOff ? ', after flap hold' : '';
    const why = `failing back in ${failbackAtMs - nowMs} ms (revertive${afterHold})`;
    return { eligible: false, why, blocker: heldOff ? 'flap hold' : 'failback delay' };
  }

  private unusableWhy(): string {
    const cause = !this.primaryPresent
      ? `primary ${this.primaryAbsence}`
      : this.primaryFaulted
        ? `primary out of service (${this.primaryFaulted}) until it is reset`
        : 'primary link down';
    const parts = [cause];
    if (this.operatorCommand === 'primary') parts.push('not usable yet: using it once it is');
    if (!this.standbyLinkUp) parts.push('standby down too: no usable uplink');
    return parts.join('; ');
  }

  /** When a revertive failback is due: after the delay and after any flap hold. */
  private revertiveFailbackAtMs(): number {
    const afterDelayMs = this.failbackDelayFromMs + this.config.failbackDelayMs;
    return Math.max(afterDelayMs, this.damper.heldUntilMs() ?? afterDelayMs);
  }

  /** The pending revertive failback, if the state after the last decision has one. */
  private pendingFailbackAtMs(): number | undefined {
    const waiting =
      this.config.mode === 'revertive' &&
      this.operatorCommand === 'auto' &&
      this.primaryUsable() &&
      !this.primaryEligible &&
      !this.awaitingBringUp;
    return waiting ? this.revertiveFailbackAtMs() : undefined;
  }
}
