// Announces the guest's MAC after every change of the transmitting path, in QEMU-style rounds:
// the first at once, then gaps growing by stepMs from initialMs up to maxMs. Upstream switches
// (and the test's Linux bridge) relearn the guest's port from these RARP frames.
import type { AnnounceConfig } from '../config';
import type { Dataplane, NativeEvent } from '../dataplane';

/** The gap before round `round + 1` (0-based), after round `round`. */
export function announceGapMs(config: Pick<AnnounceConfig, 'initialMs' | 'stepMs' | 'maxMs'>, round: number): number {
  return Math.min(config.initialMs + round * config.stepMs, config.maxMs);
}

export class Announcer {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly dataplane: Dataplane,
    private readonly settingsOf: (group: string) => AnnounceConfig | undefined,
  ) {}

  onEvent(event: NativeEvent): void {
    if (event.type !== 'pathSwitched' || event.to === 'none') return;
    this.cancel(event.group);
    const settings = this.settingsOf(event.group);
    if (settings && settings.rounds > 0) this.round(event.group, settings, 0);
  }

  /** Rounds are still to come for this group. */
  pending(group: string): boolean {
    return this.timers.has(group);
  }

  cancel(group: string): void {
    clearTimeout(this.timers.get(group));
    this.timers.delete(group);
  }

  stop(): void {
    for (const group of [...this.timers.keys()]) this.cancel(group);
  }

  private round(group: string, settings: AnnounceConfig, round: number): void {
    this.timers.delete(group);
    this.dataplane.announce(group);
    if (round + 1 >= settings.rounds) return;
    this.timers.set(
      group,
      setTimeout(() => this.round(group, settings, round + 1), announceGapMs(settings, round)),
    );
  }
}
