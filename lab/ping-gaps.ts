// Pings from the namespace every 10 ms (`ping -D`: each reply with its arrival time), and what
// they say about an outage: the longest gap between two replies, the pings lost during it, and
// any lost outside it.
import { spawn } from 'child_process';
import { CollectedProcess } from './collected-process';

/** A ping still unanswered when the pinger stops (or one that took this long) counts as lost. */
const DEADLINE_S = 600;

export interface PingGaps {
  sent: number;
  received: number;
  /** The longest time between two consecutive replies. */
  longestGapMs: number;
  /** When that gap began and ended (the replies either side, ms since the epoch). */
  gapFromMs: number;
  gapToMs: number;
  /** Pings never answered that were sent during the outage given... */
  lostInOutage: number;
  /** ... and before the last reply but outside it: loss the outage does not explain. */
  lostElsewhere: number;
  /** When each of those was sent, ms from the outage's start (negative: before it). */
  lostElsewhereAtMs: number[];
  /** Their icmp_seq, to find them in a capture. */
  lostElsewhereSeqs: number[];
}

/** When the outage began (e.g. the source's STOP) and ended (ms since the epoch). */
export interface Outage {
  fromMs: number;
  toMs: number;
}

/**
 * Reads `ping -D` output. A ping's send time is its reply's arrival less its round trip; an
 * unanswered one's is interpolated between its answered neighbours (ping sends at a steady
 * interval). Replies may arrive late and out of step with the outage (a request still in the
 * guest's ring when it stopped is answered after it resumes), so loss is judged by send time.
 */
export function parsePingGaps(output: string, outage: Outage): PingGaps {
  const replies = [...output.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from .*icmp_seq=(\d+).* time=([\d.]+) ms/gm)].map(
    (match) => ({ atMs: Number(match[1]) * 1000, seq: Number(match[2]), rttMs: Number(match[3]) }),
  );
  const summary = /(\d+) packets transmitted, (\d+) received/.exec(output);
  if (!summary) throw new Error(`no ping summary in:\n${output.slice(-500)}`);
  // The reply that ended the longest wait (0: fewer than two replies).
  let widest = 0;
  const waited = (i: number) => replies[i].atMs - replies[i - 1].atMs;
  for (let i = 1; i < replies.length; i++) if (widest === 0 || waited(i) > waited(widest)) widest = i;
  const [from, to] = widest > 0 ? [replies[widest - 1], replies[widest]] : [undefined, undefined];

  const sentAt = new Map(replies.map((reply) => [reply.seq, reply.atMs - reply.rttMs]));
  const answered = [...sentAt.keys()].sort((a, b) => a - b);
  let lostInOutage = 0;
  const lostElsewhereAtMs: number[] = [];
  const lostElsewhereSeqs: number[] = [];
  for (let i = 1; i < answered.length; i++) {
    const [a, b] = [answered[i - 1], answered[i]];
    for (let seq = a + 1; seq < b; seq++) {
      const at = sentAt.get(a)! + ((seq - a) * (sentAt.get(b)! - sentAt.get(a)!)) / (b - a);
      if (at >= outage.fromMs && at <= outage.toMs) lostInOutage++;
      else {
        lostElsewhereAtMs.push(Math.round(at - outage.fromMs));
        lostElsewhereSeqs.push(seq);
      }
    }
  }
  return {
    sent: Number(summary[1]),
    received: Number(summary[2]),
    longestGapMs: from && to ? to.atMs - from.atMs : 0,
    gapFromMs: from?.atMs ?? 0,
    gapToMs: to?.atMs ?? 0,
    lostInOutage,
    lostElsewhere: lostElsewhereAtMs.length,
    lostElsewhereAtMs,
    lostElsewhereSeqs,
  };
}

/** Pings every 10 ms until stopped (SIGINT: ping prints its summary and exits). */
export class Pinger {
  private constructor(private readonly ping: CollectedProcess) {}

  static start(netns: string, address: string): Pinger {
    // `ip netns exec` runs ping in its own place: the child's pid is ping's. -w bounds its life
    // should the test never stop it.
    const args = [
      'netns',
      'exec',
      netns,
      'ping',
      '-D',
      '-n',
      '-i',
      '0.01',
      '-W',
      '1',
      '-w',
      String(DEADLINE_S),
      address,
    ];
    return new Pinger(new CollectedProcess(spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] })));
  }

  /** Replies so far. */
  replies(): number {
    return (this.ping.output.match(/ bytes from /g) ?? []).length;
  }

  /** Stops pinging, reading nothing (a test's clean-up). */
  async abandon(): Promise<void> {
    await this.ping.stop('SIGINT', 5000, 'ping');
  }

  /** Stops pinging; loss is judged against `outage`. */
  async stop(outage: Outage): Promise<PingGaps> {
    await this.ping.stop('SIGINT', 5000, 'ping');
    return parsePingGaps(this.ping.output, outage);
  }
}
