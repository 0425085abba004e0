// Runs one group's FailoverPolicy against the real world: feeds it the data plane's events,
// applies its decisions to the primary's eligibility, and keeps one timer for the policy's next
// deadline (failback delay, flap hold).
import type { FailoverConfig } from '../config';
import type { DecisionCause, GroupStatus, NativeEvent } from '../dataplane';
import type { Logger } from '../log';
import { FailoverPolicy, type Decision, type OperatorCommand, type PolicySnapshot } from './policy';

/** What the driver needs of the data plane: the primary allowed or forbidden. */
export interface EligibilitySink {
  setPrimaryEligible(eligible: boolean, cause: DecisionCause, reason: string): boolean;
}

export class PolicyDriver {
  private readonly policy: FailoverPolicy;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  /** Starts the policy from the group's state as the data plane reports it now. */
  constructor(
    private readonly sink: EligibilitySink,
    config: FailoverConfig,
    initial: GroupStatus,
    private readonly log: Logger,
    private readonly nowMs: () => number = () => Math.round(performance.now()),
  ) {
    const policy = (this.policy = new FailoverPolicy(config, this.nowMs()));
    policy.primaryPresence(initial.primary.present, 'attached', this.nowMs());
    policy.standbyLink(initial.standby.linkUp, this.nowMs());
    policy.guest(initial.guestConnected, this.nowMs());
    this.apply(policy.primaryLink(initial.primary.linkUp, this.nowMs()));
  }

  onEvent(event: NativeEvent): void {
    const { policy } = this;
    const now = this.nowMs();
    if (event.type === 'link' && event.port === 'primary') this.apply(policy.primaryLink(event.up, now));
    else if (event.type === 'link' && event.port === 'standby') this.apply(policy.standbyLink(event.up, now));
    else if (event.type === 'removed' && event.port === 'primary')
      this.apply(policy.primaryPresence(false, 'removed', now));
    else if (event.type === 'primaryFault') this.apply(policy.primaryFault(event.cause, now));
    else if (event.type === 'guest') policy.guest(event.up, now);
  }

  primaryPresence(present: boolean, cause: 'attached' | 'detached' | 'reprobing'): void {
    this.apply(this.policy.primaryPresence(present, cause, this.nowMs()));
  }

  /** The primary native code took out of service was reset. */
  primaryRestored(): void {
    this.apply(this.policy.primaryRestored(this.nowMs()));
  }

  command(command: OperatorCommand): Decision {
    const decision = this.policy.command(command, this.nowMs());
    this.apply(decision);
    return decision;
  }

  /** New settings (a reload), applied at once; the policy's state and history stay. */
  reconfigure(config: FailoverConfig): void {
    this.apply(this.policy.reconfigure(config, this.nowMs()));
  }

  snapshot(): PolicySnapshot {
    return this.policy.snapshot();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private apply(decision: Decision): void {
    if (this.stopped) return;
    if (decision.changed) this.log.info({ primaryEligible: decision.primaryEligible }, `policy: ${decision.reason}`);
    const applied = this.sink.setPrimaryEligible(decision.primaryEligible, decision.cause, decision.reason);
    if (!applied) this.log.warn(`policy: primary dropped again before "${decision.reason}" took effect`);
    this.schedule();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const deadline = this.policy.nextDeadlineMs();
    if (deadline === undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        try {
          this.apply(this.policy.tick(this.nowMs()));
        } catch (err) {
          this.log.error({ err }, 'policy: applying a timed decision failed');
        }
      },
      Math.max(0, Math.ceil(deadline - this.nowMs())),
    );
  }
}
