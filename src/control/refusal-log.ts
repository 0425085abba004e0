// Logs refused control requests at a bounded rate per peer uid, not per connection: a client that
// reconnects gets no fresh allowance, and a refusal is one short line however much it sent. Each
// uid has a token bucket (a burst, then one line per refill period); what the bucket holds back is
// counted and logged as one "suppressed" line once a token is there again.
import type { Logger } from '../log';
import { escapeControlCharacters } from '../config/control-characters';
import type { Peer } from './access';

/** Refusals of one uid logged at once before the rate applies. */
export const REFUSAL_LOG_BURST = 10;
/** Then one more line per this period, per uid. */
export const REFUSAL_LOG_REFILL_MS = 6000;
/** A request's arguments or an error message is logged up to this many characters. */
export const LOGGED_TEXT_MAX_CHARS = 200;

/** `value` as one short, printable line: JSON cut to LOGGED_TEXT_MAX_CHARS. */
export function loggable(value: unknown): string {
  const text = escapeControlCharacters(typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)));
  return text.length > LOGGED_TEXT_MAX_CHARS
    ? `${text.slice(0, LOGGED_TEXT_MAX_CHARS)}... (${text.length} chars)`
    : text;
}

interface Bucket {
  tokens: number;
  refilledAtMs: number;
  suppressed: number;
  summary?: NodeJS.Timeout;
}

export interface Refusal {
  op?: string;
  args?: Record<string, unknown>;
  error: string;
}

export class RefusalLog {
  /** One per uid that was refused lately; a full bucket with nothing held back is dropped. */
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly log: Logger,
    private readonly nowMs: () => number = Date.now,
  ) {}

  refused(peer: Peer | undefined, refusal: Refusal): void {
    const bucket = this.bucketOf(peer);
    if (!this.take(bucket)) {
      bucket.suppressed++;
      this.scheduleSummary(peer, bucket);
      return;
    }
    this.summarize(peer, bucket);
    this.log.warn(
      {
        op: refusal.op === undefined ? undefined : loggable(refusal.op),
        args: refusal.args === undefined ? undefined : loggable(refusal.args),
        peer,
        error: loggable(refusal.error),
      },
      'control request refused',
    );
  }

  /** Stops the pending summaries (the server is closing); what they would say is lost. */
  close(): void {
    for (const bucket of this.buckets.values()) clearTimeout(bucket.summary);
    this.buckets.clear();
  }

  private bucketOf(peer: Peer | undefined): Bucket {
    const key = peer ? String(peer.uid) : 'unknown';
    let bucket = this.buckets.get(key);
    if (!bucket) {
      this.forgetIdleBuckets();
      bucket = { tokens: REFUSAL_LOG_BURST, refilledAtMs: this.nowMs(), suppressed: 0 };
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  /** Adds the tokens earned since the last one; a full bucket earns none, so its clock restarts. */
  private refill(bucket: Bucket): void {
    const now = this.nowMs();
    const earned = Math.floor((now - bucket.refilledAtMs) / REFUSAL_LOG_REFILL_MS);
    bucket.tokens = Math.min(REFUSAL_LOG_BURST, bucket.tokens + earned);
    if (bucket.tokens === REFUSAL_LOG_BURST) bucket.refilledAtMs = now;
    else bucket.refilledAtMs += earned * REFUSAL_LOG_REFILL_MS;
  }

  private take(bucket: Bucket): boolean {
    this.refill(bucket);
    if (bucket.tokens === 0) return false;
    bucket.tokens--;
    return true;
  }

  /** Says how many refusals were not logged, if any: with the next one logged, or on a timer. */
  private summarize(peer: Peer | undefined, bucket: Bucket): void {
    clearTimeout(bucket.summary);
    bucket.summary = undefined;
    if (bucket.suppressed === 0) return;
    this.log.warn(
      { uid: peer?.uid, suppressed: bucket.suppressed, burst: REFUSAL_LOG_BURST, refillMs: REFUSAL_LOG_REFILL_MS },
      'control: refused requests not logged (rate limit per uid)',
    );
    bucket.suppressed = 0;
  }

  /** A uid that goes quiet hears its count once a token is there again. */
  private scheduleSummary(peer: Peer | undefined, bucket: Bucket): void {
    if (bucket.summary) return;
    const waitMs = Math.max(0, bucket.refilledAtMs + REFUSAL_LOG_REFILL_MS - this.nowMs());
    bucket.summary = setTimeout(() => {
      bucket.summary = undefined;
      if (this.take(bucket)) this.summarize(peer, bucket);
      else this.scheduleSummary(peer, bucket);
    }, waitMs);
    bucket.summary.unref();
  }

  private forgetIdleBuckets(): void {
    for (const [key, bucket] of this.buckets) {
      this.refill(bucket);
      if (bucket.tokens === REFUSAL_LOG_BURST && bucket.suppressed === 0 && !bucket.summary) this.buckets.delete(key);
    }
  }
}
