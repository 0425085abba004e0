// Trying something again until it works: after 1 s, the wait doubling up to a cap, as long as
// nobody cancels. For a primary that could not be probed and a group that could not start.

export interface RetryState {
  attempts: number;
  lastError: string;
  nextAttemptAtIso: string | null;
}

export class RetryWithBackoff {
  private timer?: NodeJS.Timeout;
  private waitMs = 1000;
  private attempts = 0;
  private lastError = '';
  private nextAt?: number;
  /** Set by cancel(): an attempt in flight that fails schedules nothing more. */
  private cancelled = false;

  /** `attempt` returns (or resolves) on success and throws (or rejects) on failure. */
  constructor(
    private readonly attempt: () => void | Promise<void>,
    private readonly maxWaitMs: number,
    private readonly onFailure: (error: string, retryInMs: number) => void,
  ) {}

  /** Starts after a first failure. */
  start(firstError: string): void {
    this.lastError = firstError;
    this.attempts = 1;
    this.schedule();
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
    this.cancelled = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.nextAt = undefined;
  }

  private schedule(): void {
    const waitMs = this.waitMs;
    this.onFailure(this.lastError, waitMs);
    this.nextAt = Date.now() + waitMs;
    this.timer = setTimeout(() => this.tryAgain(), waitMs);
    this.waitMs = Math.min(this.waitMs * 2, this.maxWaitMs);
  }

  private tryAgain(): void {
    this.timer = undefined;
    this.nextAt = undefined;
    this.attempts++;
    this.cancelled = false;
    Promise.resolve()
      .then(this.attempt)
      .catch((err: Error) => {
        if (this.cancelled) return;
        this.lastError = err.message;
        this.schedule();
      });
  }
}
