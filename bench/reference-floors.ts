// The bench's check on its references: a reference whose best round runs below its floor times
// testpmd io's best round is taken as misconfigured, and the run fails instead of publishing
// it. Best rounds, not the median of per-round ratios: on a shared machine a neighbour only ever
// takes time away, and in a 3 s window it may hit one program and spare the next, so one bad
// round moves a per-round ratio by 3× either way, while each program's fastest round is near what
// it can do. The floors and why: docs/lab/benchmarks.md.
import type { ThroughputCase } from './run';
import type { Direction, Switch } from './throughput';

export const REFERENCE_FLOORS: Partial<Record<Switch, Record<Direction, number>>> = {
  'testpmd-bond': { guestToNetwork: 0.6, networkToGuest: 0.6 },
  'testpmd-failsafe': { guestToNetwork: 0.6, networkToGuest: 0.6 },
  'ovs-bond': { guestToNetwork: 0.3, networkToGuest: 0.3 },
};

/** A switch's fastest round over testpmd io's fastest round, in one case. */
export function bestRoundRatio(c: ThroughputCase, name: Switch): number | undefined {
  const rates = c.mpps[name];
  const reference = c.mpps['testpmd-io'];
  if (!rates?.length || !reference?.length) return undefined;
  return Math.max(...rates) / Math.max(...reference);
}

/** One line per case where a reference ran below its floor; none when all passed. */
export function referencesBelowFloor(cases: ThroughputCase[]): string[] {
  const failures: string[] = [];
  for (const c of cases)
    for (const [name, floors] of Object.entries(REFERENCE_FLOORS) as Array<[Switch, Record<Direction, number>]>) {
      const best = bestRoundRatio(c, name);
      if (best === undefined || best >= floors[c.direction]) continue;
      failures.push(
        `${name}, ${c.direction} ${c.frameBytes} B: best round ${Math.max(...c.mpps[name]!)} Mpps, ` +
          `${best.toFixed(3)}× testpmd io's best (${Math.max(...c.mpps['testpmd-io']!)} Mpps); its floor is ${floors[c.direction]}×`,
      );
    }
  return failures;
}
