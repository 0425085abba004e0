// Round-trip times of ping from a namespace, one per reply, for latency percentiles: each echo
// crosses the switch twice (to the guest and back).
import { runInNetns, type Netns } from './netns';

export interface PingRtts {
  sent: number;
  received: number;
  /** Microseconds, sorted. */
  rttsUs: number[];
}

export async function pingRtts(netns: Netns, ip: string, count: number, intervalS: number): Promise<PingRtts> {
  const output = await runInNetns(netns.name, [
    'ping',
    '-n',
    '-c',
    String(count),
    '-i',
    String(intervalS),
    '-W',
    '1',
    ip,
  ]);
  const summary = /(\d+) packets transmitted, (\d+) received/.exec(output);
  if (!summary) throw new Error(`ping printed no summary:\n${output}`);
  const rttsUs = [...output.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]) * 1000).sort((a, b) => a - b);
  return { sent: Number(summary[1]), received: Number(summary[2]), rttsUs };
}

/** The value at quantile q (0..1) of sorted values. */
export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
