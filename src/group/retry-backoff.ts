// Trying something again until it works: after 1 s, the wait doubling up to a cap, as long as
// nobody cancels. For a primary that could not be probed, a group that could not start, a tap
// that could not join its bridge.

export interface RetryState {
  attempts: number;
  lastError: string;
  nextAttemptAtIso: string | null;
}

const FIRST_WAIT_MS = 1000;

export class RetryWithBackoff {
  private timer?: NodeJS.Timeout;
  private waitMs = FIRST_WAIT_MS;
  private attempts = 0;
  private lastError = '';
  private nextAt?: number;
  /** Bumped by start() and cancel(): an attempt of an earlier run that ends later does nothing. */
  private run = 0;

  /** `attempt` returns (or resolves) on success and throws (or rejects) on failure. */
  constructor(
    private readonly attempt: () => void | Promise<void>,
    private readonly maxWaitMs: number,
    private readonly onFailure: (error: string, retryInMs: number) => void,
  ) {}

  /** Starts (or starts over) after a failure: the next try in 1 s. */
  start(firstError: string): void {
    this.cancel();
    this.waitMs = FIRST_WAIT_MS;
    this.lastError = firstError;
    this.attempts = 1;
    this.schedule(this.run);
  }

  /** A next attempt is scheduled. */
  get pending(): boolean {
    return this.timer !== undefined;
  }

  state(): RetryState {
    return {
      attempts: this.attempts,
      lastError: this.lastError,
      nextAttemptAtIso: this.nextAt !== undefined ? new Date(this.nextAt).toISOString() : null,
    };
  }

  cancel(): void {
    this.run++;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.nextAt = undefined;
  }

  private schedule(run: number): void {
    const waitMs = this.waitMs;
    this.onFailure(this.lastError, waitMs);
    this.nextAt = Date.now() + waitMs;
    this.timer = setTimeout(() => this.tryAgain(run), waitMs);
    this.waitMs = Math.min(this.waitMs * 2, this.maxWaitMs);
  }

  private tryAgain(run: number): void {
    this.timer = undefined;
    this.nextAt = undefined;
    this.attempts++;
    Promise.resolve()
      .then(this.attempt)
      .catch((err: Error) => {
        if (run !== this.run) return; // cancelled or started over meanwhile
        this.lastError = err.message;
        this.schedule(run);
      });
  }
}
