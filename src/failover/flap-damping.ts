// Flap damping for the primary uplink: counts its transitions to unusable in a sliding window and,
// once they reach maxChanges, holds it off until holdMs after the latest one. Pure: the caller
// passes the time.

import type { FlapDampingConfig } from '../config';

export class FlapDamper {
  private flapsAtMs: number[] = [];
  private holdUntilMs: number | undefined;

  constructor(private config: FlapDampingConfig) {}

  /** New settings; the flaps seen so far still count, a hold in force keeps its end. */
  reconfigure(config: FlapDampingConfig): void {
    this.config = config;
  }

  /** Records a transition to unusable; returns why a hold starts or grows, if one does. */
  recordFlap(nowMs: number): string | undefined {
    const alreadyHeld = this.holdUntilMs !== undefined && nowMs < this.holdUntilMs;
    this.flapsAtMs = [...this.recentFlaps(nowMs), nowMs];
    const count = this.flapsAtMs.length;
    const { maxChanges, windowMs, holdMs } = this.config;
    if (maxChanges <= 0 || (count < maxChanges && !alreadyHeld)) return undefined;
    this.holdUntilMs = nowMs + holdMs;
    const what =
      count >= maxChanges
        ? `primary flapped ${count} times in ${windowMs} ms`
        : 'primary flapped again during the flap hold';
    return `${what}; holding standby for ${holdMs} ms`;
  }

  /** Ends a hold whose time has come; returns a note saying so, once. */
  expire(nowMs: number): string | undefined {
    if (this.holdUntilMs === undefined || nowMs < this.holdUntilMs) return undefined;
    this.holdUntilMs = undefined;
    return 'flap hold over';
  }

  /** End of the current hold, as of the last expire(); undefined when there is none. */
  heldUntilMs(): number | undefined {
    return this.holdUntilMs;
  }

  recentFlapCount(nowMs: number): number {
    return this.recentFlaps(nowMs).length;
  }

  private recentFlaps(nowMs: number): number[] {
    return this.flapsAtMs.filter((atMs) => atMs > nowMs - this.config.windowMs);
  }
}
