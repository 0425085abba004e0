// Runs one FailoverPolicy per group against the real world: feeds it the data plane's events,
// applies its decisions to the primary's eligibility, and keeps one timer per group for the
// policy's next deadline (failback delay, flap hold).
import type { FailoverConfig } from '../config';
import type { Dataplane, GroupStatus, NativeEvent } from '../dataplane';
import type { Logger } from '../log';
import { FailoverPolicy, type Decision, type OperatorCommand, type PolicySnapshot } from './policy';

interface Running {
  policy: FailoverPolicy;
  timer?: NodeJS.Timeout;
}

export class PolicyDriver {
  private readonly groups = new Map<string, Running>();

  constructor(
    private readonly dataplane: Dataplane,
    private readonly config: FailoverConfig,
    private readonly log: Logger,
    private readonly nowMs: () => number = () => Math.round(performance.now()),
  ) {}

  /** Starts the policy of a group the data plane has just added, from its current state. */
  addGroup(name: string, status: GroupStatus): void {
    const policy = new FailoverPolicy(this.config, this.nowMs());
    this.groups.set(name, { policy });
    policy.primaryPresence(status.primary.present, 'attached', this.nowMs());
    policy.standbyLink(status.standby.linkUp, this.nowMs());
    policy.guest(status.guestConnected, this.nowMs());
    this.apply(name, policy.primaryLink(status.primary.linkUp, this.nowMs()));
  }

  removeGroup(name: string): void {
    clearTimeout(this.groups.get(name)?.timer);
    this.groups.delete(name);
  }

  onEvent(event: NativeEvent): void {
    const running = this.groups.get(event.group);
    if (!running) return;
    const { policy } = running;
    const now = this.nowMs();
    if (event.type === 'link' && event.port === 'primary')
      this.apply(event.group, policy.primaryLink(event.up === true, now));
    else if (event.type === 'link' && event.port === 'standby')
      this.apply(event.group, policy.standbyLink(event.up === true, now));
    else if (event.type === 'removed' && event.port === 'primary')
      this.apply(event.group, policy.primaryPresence(false, 'removed', now));
    else if (event.type === 'guest') policy.guest(event.up === true, now);
  }

  primaryPresence(group: string, present: boolean, cause: 'attached' | 'detached'): void {
    const running = this.groups.get(group);
    if (running) this.apply(group, running.policy.primaryPresence(present, cause, this.nowMs()));
  }

  command(group: string, command: OperatorCommand): Decision {
    const running = this.groups.get(group);
    if (!running) throw new Error(`no policy for group "${group}"`);
    const decision = running.policy.command(command, this.nowMs());
    this.apply(group, decision);
    return decision;
  }

  snapshot(group: string): PolicySnapshot | undefined {
    return this.groups.get(group)?.policy.snapshot();
  }

  stop(): void {
    for (const running of this.groups.values()) clearTimeout(running.timer);
    this.groups.clear();
  }

  private apply(group: string, decision: Decision): void {
    const running = this.groups.get(group);
    if (!running) return;
    if (decision.changed)
      this.log.info({ group, primaryEligible: decision.primaryEligible }, `policy: ${decision.reason}`);
    const applied = this.dataplane.setPrimaryEligible(group, decision.primaryEligible, decision.reason);
    if (!applied) this.log.warn({ group }, `policy: primary dropped again before "${decision.reason}" took effect`);
    this.schedule(group, running);
  }

  private schedule(group: string, running: Running): void {
    clearTimeout(running.timer);
    running.timer = undefined;
    const deadline = running.policy.nextDeadlineMs();
    if (deadline === undefined) return;
    running.timer = setTimeout(
      () => {
        running.timer = undefined;
        this.apply(group, running.policy.tick(this.nowMs()));
      },
      Math.max(0, Math.ceil(deadline - this.nowMs())),
    );
  }
}
