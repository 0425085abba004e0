// What an idle group costs and what that costs the first frame: the worker sleeps on its ports'
// rx interrupts (a guest's kick, a frame on a tap) instead of waking thousands of times a second,
// and a ping that finds it asleep is still answered. Wake-ups are counted from /proc; latencies
// are printed for the record, never asserted (docs/lab/benchmarks.md's results compare them).
import { strict as assert } from 'assert';
import { describeIdleCost, measureIdleCost } from '../../lab/idle-cost';

describe('idle cost (real DPDK, net_tap uplinks, testpmd VM)', function () {
  it('sleeps on rx interrupts while idle, and answers the first frame that wakes it', async function () {
    const interrupts = await measureIdleCost('rx interrupts', 2000, 20);
    console.log(`      ${describeIdleCost(interrupts)}`);
    // About ten a second (its 100 ms bound), and what the bridge's own chatter adds; the timed
    // back-off wakes thousands of times.
    assert.ok(
      interrupts.worker.wakeupsPerSecond < 100,
      `the idle worker woke ${interrupts.worker.wakeupsPerSecond} times a second`,
    );
    assert.ok(
      interrupts.linkMonitor.wakeupsPerSecond < 10,
      `the link monitor woke ${interrupts.linkMonitor.wakeupsPerSecond} times a second`,
    );
    assert.equal(interrupts.pings.received, interrupts.pings.sent, 'a ping to a sleeping worker was lost');
    // A wake-up that never came shows as an echo held until the worker's 100 ms bound on its
    // sleep: not a speed limit, a lost interrupt (how the edge-triggered tap fd was caught).
    assert.ok(interrupts.pingUs.max < 90000, `an echo waited ${interrupts.pingUs.max} us: a lost wake-up`);
    // The reference, for the record: the timed back-off alone.
    const backoff = await measureIdleCost('timed back-off', 2000, 20);
    console.log(`      ${describeIdleCost(backoff)}`);
    assert.equal(backoff.pings.received, backoff.pings.sent);
  });
});
