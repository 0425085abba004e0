import { strict as assert } from 'assert';
import { announceGapMs } from '../../src/failover/announcer';

describe('announcement timing', function () {
  it("follows QEMU's initial, step and max", function () {
    const qemu = { rounds: 5, initialMs: 50, stepMs: 100, maxMs: 550 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6].map((round) => announceGapMs(qemu, round)),
      [50, 150, 250, 350, 450, 550, 550],
    );
  });

  it('keeps a constant gap when step is 0', function () {
    assert.equal(announceGapMs({ initialMs: 200, stepMs: 0, maxMs: 1000 }, 2), 200);
  });
});
