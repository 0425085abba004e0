import { strict as assert } from 'assert';
import { announceGapMs, Announcer } from '../../src/failover/announcer';
import type { PathSwitchedEvent } from '../../src/dataplane';

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

describe('announcements and the guest', function () {
  const settings = { rounds: 1, initialMs: 50, stepMs: 100, maxMs: 550, garpMaxAgeMs: 300000 };
  const switched = { type: 'pathSwitched', from: 'primary', to: 'standby' } as PathSwitchedEvent;

  function announcer(connected: boolean): { announcer: Announcer; rounds: () => number } {
    let rounds = 0;
    return {
      announcer: new Announcer({ announce: () => rounds++ }, settings, undefined, connected),
      rounds: () => rounds,
    };
  }

  it('announces when the guest comes up (the end of a migration) and after a switch', function () {
    const { announcer: a, rounds } = announcer(false);
    a.onGuest(true);
    assert.equal(rounds(), 1);
    a.onPathSwitched(switched);
    assert.equal(rounds(), 2);
  });

  it('never announces a guest that is not connected (it may run on another host now)', function () {
    const { announcer: a, rounds } = announcer(true);
    a.onGuest(false);
    a.onPathSwitched(switched);
    assert.equal(rounds(), 0);
  });

  it('stops the rounds still to come when the guest goes away', function () {
    let rounds = 0;
    const a = new Announcer({ announce: () => rounds++ }, { ...settings, rounds: 5 }, undefined, true);
    a.onPathSwitched(switched);
    assert.ok(a.pending());
    a.onGuest(false);
    assert.equal(a.pending(), false);
    assert.equal(rounds, 1);
  });
});
