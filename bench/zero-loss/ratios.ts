// Ratios with confidence: many short alternating trials, A B A B ..., each pair's ratio taken
// from two neighbouring trials (so a slow minute on the shared machine hurts both alike), and
// the ratio reported as the median of the pairs with its 95% order-statistics interval.
import { medianInterval, type MedianInterval } from '../stats';
import { Loop, type LoopDirection, type LoopSwitch } from './loop';
import { maxReceiveRate, type TrialSettings } from './measure';

export interface RatioPair {
  /** Received frames per second of each switch in this pair. */
  pps: Record<LoopSwitch, number>;
  /** The switch lost nothing: its trial measured the generator (see ReceiveRate). */
  generatorLimited: Record<LoopSwitch, boolean>;
  ratio: number;
}

export interface RatioRun {
  size: string;
  direction: LoopDirection;
  /** What was measured: the maximum receive rate at an offered load above both switches'. */
  measure: 'mrr';
  offeredPps: number;
  trialSeconds: number;
  pairs: RatioPair[];
  ratio: MedianInterval;
  mpps: Record<LoopSwitch, MedianInterval>;
}

export async function ratioRun(
  size: string,
  direction: LoopDirection,
  pairCount: number,
  settings: TrialSettings,
  onStep: (what: string) => void,
): Promise<RatioRun> {
  const order: LoopSwitch[] = ['vhost-failover', 'testpmd-io'];
  const pairs: RatioPair[] = [];
  for (let i = 0; i < pairCount; i++) {
    const pps = {} as Record<LoopSwitch, number>;
    const generatorLimited = {} as Record<LoopSwitch, boolean>;
    for (const which of order) {
      onStep(`ratio pair ${i + 1}/${pairCount}: ${which}`);
      // A fresh switch for every trial: what one start happened to get (a queue's memory, a
      // thread's placement) is sampled too, not repeated.
      const loop = await Loop.start(which);
      try {
        ({ pps: pps[which], generatorLimited: generatorLimited[which] } = await maxReceiveRate(
          loop,
          size,
          direction,
          settings,
        ));
      } finally {
        await loop.stop();
      }
    }
    pairs.push({ pps, generatorLimited, ratio: pps['vhost-failover'] / pps['testpmd-io'] });
    const mpps = (which: LoopSwitch) => (pps[which] / 1e6).toFixed(3);
    console.log(
      `  pair ${i + 1}: ${mpps('vhost-failover')} / ${mpps('testpmd-io')} Mpps = ${pairs[i].ratio.toFixed(3)}`,
    );
  }
  const interval = (values: number[]) => {
    const result = medianInterval(values);
    if (!result) throw new Error('a 95% interval needs at least 6 pairs');
    return result;
  };
  return {
    size,
    direction,
    measure: 'mrr',
    offeredPps: settings.maxPps,
    trialSeconds: settings.trialSeconds,
    pairs,
    ratio: interval(pairs.map((p) => p.ratio)),
    mpps: {
      'vhost-failover': interval(pairs.map((p) => p.pps['vhost-failover'] / 1e6)),
      'testpmd-io': interval(pairs.map((p) => p.pps['testpmd-io'] / 1e6)),
    },
  };
}
