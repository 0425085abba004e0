// The zero-loss search against a simulated switch: it finds the highest passing rate for each
// loss threshold to within the resolution, shares trials between thresholds, keeps every trial,
// and lets a failure stand as the bound when a noisy machine passes a higher rate.
import { strict as assert } from 'assert';
import { lossRatioOf, searchThroughput } from '../../bench/zero-loss/search';

// A switch that forwards `capacityPps` and drops everything above; below `lossyAbovePps` it
// also loses one frame in a million.
function simulated(capacityPps: number, lossyAbovePps = Infinity) {
  return async (ratePps: number) => {
    const offered = ratePps;
    const dropped = Math.max(0, ratePps - capacityPps) + (ratePps > lossyAbovePps ? Math.ceil(offered / 1e6) : 0);
    return { offered, received: offered - dropped, generatorLate: false };
  };
}

describe('bench zero-loss search', () => {
  it('finds the rate within the resolution, ceiling first', async () => {
    const result = await searchThroughput(simulated(1_234_567), { maxPps: 5e6, resolutionPps: 10000, lossRatios: [0] });
    assert.equal(result.trials[0].ratePps, 5e6);
    const [ndr] = result.thresholds;
    assert.ok(ndr.ratePps <= 1_234_567 && 1_234_567 - ndr.ratePps <= 10000, `${ndr.ratePps}`);
    assert.ok(ndr.failedPps! - ndr.ratePps <= 10000);
    assert.ok(result.trials.length <= 11, `${result.trials.length} trials`);
  });

  it('finds NDR and PDR from one set of trials', async () => {
    const result = await searchThroughput(simulated(3e6, 1e6), {
      maxPps: 5e6,
      resolutionPps: 10000,
      lossRatios: [0, 1e-5],
    });
    const [ndr, pdr] = result.thresholds;
    assert.ok(ndr.ratePps <= 1e6 && 1e6 - ndr.ratePps <= 10000, `NDR ${ndr.ratePps}`);
    assert.ok(pdr.ratePps <= 3e6 && 3e6 - pdr.ratePps <= 10000, `PDR ${pdr.ratePps}`);
    for (const trial of result.trials) assert.equal(trial.lossRatio, lossRatioOf(trial));
  });

  it('reports the ceiling when it passes, and 0 when nothing does', async () => {
    const fast = await searchThroughput(simulated(1e9), { maxPps: 5e6, resolutionPps: 10000, lossRatios: [0] });
    assert.deepEqual(fast.thresholds, [{ lossRatio: 0, ratePps: 5e6 }]);
    assert.equal(fast.trials.length, 1);
    const dead = await searchThroughput(simulated(0), { maxPps: 5e6, resolutionPps: 10000, lossRatios: [0] });
    assert.equal(dead.thresholds[0].ratePps, 0);
    assert.ok(dead.thresholds[0].failedPps! <= 10000);
  });

  it('keeps a failure as the bound when a higher rate passes later', async () => {
    // Fails at 2.5 Mpps once (a stall), passes anything at or below 4 Mpps otherwise.
    let stalled = false;
    const result = await searchThroughput(
      async (ratePps) => {
        const stall = !stalled && ratePps === 2.5e6;
        stalled ||= stall;
        const lost = stall || ratePps > 4e6 ? 1000 : 0;
        return { offered: ratePps, received: ratePps - lost, generatorLate: false };
      },
      { maxPps: 5e6, resolutionPps: 10000, lossRatios: [0] },
    );
    const [ndr] = result.thresholds;
    assert.ok(ndr.ratePps < ndr.failedPps!, JSON.stringify(ndr));
    assert.ok(ndr.failedPps! <= 2.5e6);
  });
});
