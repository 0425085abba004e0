// Announces one group's guest in QEMU-style rounds (the first at once, then gaps growing by stepMs
// from initialMs up to maxMs) after every change of its transmitting path, and when the guest's
// device comes up: after a live migration that is the moment the guest runs on this host, and
// upstream switches (and the lab's Linux bridge) must move its MAC here before anything else.
// While no guest is connected nothing is announced: a guest that migrated away is announced by
// the other host, and a round from here would pull its MAC back.
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
    private readonly log: Logger | undefined,
    /** Whether a guest is connected now (later: onGuest). */
    private guestConnected: boolean,
  ) {}

  onPathSwitched(event: PathSwitchedEvent): void {
    if (event.to === 'none') return;
    if (this.guestConnected) this.start();
  }

  /** The guest's device came up (boot, reconnect, the end of a migration) or went away. */
  onGuest(connected: boolean): void {
    this.guestConnected = connected;
    if (connected) this.start();
    else this.stop();
  }

  /** Settings for the rounds started from now on (a reload). */
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

  private start(): void {
    this.stop();
    if (this.settings.rounds > 0) this.round(this.settings, 0);
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
