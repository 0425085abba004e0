// Announces one group's guest after every change of its transmitting path, in QEMU-style rounds:
// the first at once, then gaps growing by stepMs from initialMs up to maxMs. Upstream switches
// (and the test's Linux bridge) relearn the guest's port from these RARP frames.
import type { AnnounceConfig } from '../config';
import type { PathSwitchedEvent } from '../dataplane';
import type { Logger } from '../log';

/** The gap before round `round + 1` (0-based), after round `round`. */
export function announceGapMs(config: Pick<AnnounceConfig, 'initialMs' | 'stepMs' | 'maxMs'>, round: number): number {
  return Math.min(config.initialMs + round * config.stepMs, config.maxMs);
}

/** What the announcer needs of the data plane: one round on the group's transmitting path. */
export interface AnnounceSink {
  announce(): void;
}

export class Announcer {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly sink: AnnounceSink,
    private settings: AnnounceConfig,
    private readonly log?: Logger,
  ) {}

  onPathSwitched(event: PathSwitchedEvent): void {
    if (event.to === 'none') return;
    this.stop();
    if (this.settings.rounds > 0) this.round(this.settings, 0);
  }

  /** Settings for the rounds after the next switch (a reload). */
  reconfigure(settings: AnnounceConfig): void {
    this.settings = settings;
  }

  /** Rounds are still to come. */
  pending(): boolean {
    return this.timer !== undefined;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private round(settings: AnnounceConfig, round: number): void {
    this.timer = undefined;
    try {
      this.sink.announce();
    } catch (err) {
      // The group went away under a pending round: nothing left to announce.
      this.log?.warn({ err: (err as Error).message }, 'announcement round not sent');
      return;
    }
    if (round + 1 >= settings.rounds) return;
    this.timer = setTimeout(() => this.round(settings, round + 1), announceGapMs(settings, round));
  }
}
