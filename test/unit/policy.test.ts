import { strict as assert } from 'assert';
import { Decision, FailoverPolicy, FlapDampingConfig, PolicyConfig } from '../../src/failover/policy';
import { minimalConfig } from '../support/configs';

// The defaults the config file gives, so the tests follow any change to them.
const DEFAULT_POLICY: PolicyConfig = minimalConfig().failover;

const DELAY_MS = DEFAULT_POLICY.failbackDelayMs;
const HOLD_MS = DEFAULT_POLICY.flapDamping.holdMs;

function config(overrides: Partial<PolicyConfig> = {}): PolicyConfig {
  return { ...DEFAULT_POLICY, ...overrides };
}

/** A policy whose primary was attached and brought up at time 0. */
function running(overrides: Partial<PolicyConfig> = {}): FailoverPolicy {
  const policy = new FailoverPolicy(config(overrides), 0);
  policy.primaryPresence(true, 'attached', 0);
  policy.primaryLink(true, 0);
  return policy;
}

/** A running policy whose primary link failed at 1000 ms. */
function failedAt1000(overrides: Partial<PolicyConfig> = {}): FailoverPolicy {
  const policy = running(overrides);
  policy.primaryLink(false, 1000);
  return policy;
}

/** `count` flaps from `fromMs`, one a second: link down, up 100 ms later. Returns the last down. */
function flap(policy: FailoverPolicy, count: number, fromMs: number): Decision {
  const downs: Decision[] = [];
  for (let atMs = fromMs; atMs < fromMs + count * 1000; atMs += 1000) {
    downs.push(policy.primaryLink(false, atMs));
    policy.primaryLink(true, atMs + 100);
  }
  return downs[downs.length - 1];
}

/** Checks a decision, and that its reason contains each of `words`. */
function assertDecision(d: Decision, eligible: boolean, changed: boolean, ...words: string[]) {
  assert.equal(d.primaryEligible, eligible, `primaryEligible, reason: ${d.reason}`);
  assert.equal(d.changed, changed, `changed, reason: ${d.reason}`);
  for (const word of words) assert.ok(d.reason.includes(word), `"${word}" in "${d.reason}"`);
}

describe('FailoverPolicy', () => {
  describe('initial bring-up', () => {
    it('starts with the primary not attached and not eligible', () => {
      const snapshot = new FailoverPolicy(DEFAULT_POLICY, 0).snapshot();
      assert.equal(snapshot.primaryEligible, false);
      assert.equal(snapshot.command, 'auto');
      assert.equal(snapshot.mode, 'revertive');
      assert.match(snapshot.lastReason, /not attached/);
    });

    it('makes the primary eligible at once the first time it is usable', () => {
      const policy = new FailoverPolicy(DEFAULT_POLICY, 0);
      assertDecision(policy.primaryPresence(true, 'attached', 0), false, false, 'primary attached');
      const decision = policy.primaryLink(true, 5);
      assertDecision(decision, true, true, 'primary link up', 'initial bring-up');
      assert.equal(policy.nextDeadlineMs(), undefined);
    });

    it('accepts link up before attach, and in non-revertive mode too', () => {
      const policy = new FailoverPolicy(config({ mode: 'non-revertive' }), 0);
      assertDecision(policy.primaryLink(true, 0), false, false, 'primary not attached');
      assertDecision(policy.primaryPresence(true, 'attached', 10), true, true, 'initial bring-up');
    });

    it("does not bring up the primary under the operator's 'standby'", () => {
      const policy = new FailoverPolicy(DEFAULT_POLICY, 0);
      policy.command('standby', 0);
      policy.primaryPresence(true, 'attached', 0);
      assertDecision(policy.primaryLink(true, 0), false, false, 'force standby');
    });

    it("treats 'auto' after 'standby' as a failback, not a bring-up", () => {
      const policy = new FailoverPolicy(DEFAULT_POLICY, 0);
      policy.command('standby', 0);
      policy.primaryPresence(true, 'attached', 0);
      policy.primaryLink(true, 0);
      assertDecision(policy.command('auto', 500), false, false, 'failing back in 2000 ms');
      assertDecision(policy.tick(2500), true, true, 'failing back');
    });
  });

  describe('revertive failback', () => {
    it('drops the primary on link down', () => {
      const policy = running();
      assertDecision(policy.primaryLink(false, 1000), false, true, 'primary link down');
      assert.equal(policy.nextDeadlineMs(), undefined);
    });

    it('fails back only after failbackDelayMs of continuous link up', () => {
      const policy = failedAt1000();
      const up = policy.primaryLink(true, 3000);
      assertDecision(up, false, false, 'primary link up; failing back in 2000 ms (revertive)');
      assert.equal(policy.nextDeadlineMs(), 5000);
      assert.equal(policy.snapshot().failbackAtMs, 5000);
      assertDecision(policy.tick(4999), false, false, 'failing back in 1 ms');
      assertDecision(policy.tick(5000), true, true, 'primary stable for 2000 ms: failing back');
      assert.equal(policy.nextDeadlineMs(), undefined);
      assert.equal(policy.snapshot().failbackAtMs, undefined);
    });

    it('restarts the delay after up-down-up inside it', () => {
      const policy = failedAt1000();
      policy.primaryLink(true, 2000);
      assertDecision(policy.primaryLink(false, 3000), false, false, 'primary link down');
      assert.equal(policy.nextDeadlineMs(), undefined);
      policy.primaryLink(true, 3500);
      assert.equal(policy.nextDeadlineMs(), 5500);
      assertDecision(policy.tick(4000), false, false);
      assertDecision(policy.tick(5500), true, true, 'stable for 2000 ms');
    });

    it('cancels a pending failback when the primary is removed, and needs link up again', () => {
      const policy = failedAt1000();
      policy.primaryLink(true, 2000);
      const removed = policy.primaryPresence(false, 'removed', 3000);
      assertDecision(removed, false, false, 'primary removed');
      assert.equal(policy.nextDeadlineMs(), undefined);
      assertDecision(policy.tick(4000), false, false, 'primary removed');
      assertDecision(policy.primaryPresence(true, 'attached', 6000), false, false, 'link down');
      assert.equal(policy.snapshot().primaryLinkUp, false);
      policy.primaryLink(true, 6100);
      assert.equal(policy.nextDeadlineMs(), 8100);
      assertDecision(policy.tick(8100), true, true, 'failing back');
    });

    it('drops the primary on a planned detach and names it', () => {
      const policy = running();
      const detached = policy.primaryPresence(false, 'detached', 1000);
      assertDecision(detached, false, true, 'primary detached');
      assert.equal(policy.snapshot().primaryPresent, false);
    });

    it('fails back at once with a zero delay', () => {
      const policy = failedAt1000({ failbackDelayMs: 0 });
      assertDecision(policy.primaryLink(true, 1500), true, true, 'failing back');
    });

    it('does not count a repeated link down as another flap', () => {
      const policy = failedAt1000();
      policy.primaryLink(false, 1100);
      policy.primaryPresence(false, 'removed', 1200);
      assert.equal(policy.snapshot().recentFlapCount, 1);
    });
  });

  describe('operator commands', () => {
    it("'standby' drops a working primary", () => {
      const policy = running();
      assertDecision(policy.command('standby', 1000), false, true, 'operator: force standby');
      assert.equal(policy.snapshot().command, 'standby');
    });

    it("'standby' cancels a pending failback", () => {
      const policy = failedAt1000();
      policy.primaryLink(true, 2000);
      assertDecision(policy.command('standby', 3000), false, false, 'force standby');
      assert.equal(policy.nextDeadlineMs(), undefined);
      assertDecision(policy.tick(10000), false, false, 'force standby');
    });

    it("'auto' after 'standby' starts a fresh failback delay, not an immediate failback", () => {
      const policy = running();
      policy.command('standby', 1000);
      const auto = policy.command('auto', 60000);
      assertDecision(auto, false, false, 'operator: auto', 'failing back in 2000 ms');
      assert.equal(policy.nextDeadlineMs(), 62000);
      assertDecision(policy.tick(62000), true, true, 'failing back');
    });

    it("a repeated 'auto' does not restart the delay", () => {
      const policy = failedAt1000();
      policy.primaryLink(true, 2000);
      policy.command('auto', 3000);
      assert.equal(policy.nextDeadlineMs(), 4000);
    });

    it("'primary' skips the failback delay", () => {
      const policy = failedAt1000();
      policy.primaryLink(true, 2000);
      assertDecision(policy.command('primary', 2500), true, true, 'operator: force primary');
      assert.equal(policy.nextDeadlineMs(), undefined);
    });

    it("'primary' on an unusable primary says so and takes effect once it is usable", () => {
      const policy = failedAt1000();
      const decision = policy.command('primary', 2000);
      assertDecision(decision, false, false, 'force primary', 'link down', 'not usable');
      assertDecision(policy.primaryLink(true, 3000), true, true, 'force primary');
    });

    it("'auto' after 'primary' keeps the working primary", () => {
      const policy = failedAt1000();
      policy.primaryLink(true, 2000);
      policy.command('primary', 2000);
      assertDecision(policy.command('auto', 3000), true, false, 'keeping primary');
    });
  });

  describe('non-revertive mode', () => {
    it('stays on standby after a failure however long the primary is up', () => {
      const policy = failedAt1000({ mode: 'non-revertive' });
      const up = policy.primaryLink(true, 2000);
      assertDecision(up, false, false, 'non-revertive', "operator says 'primary'");
      assert.equal(policy.nextDeadlineMs(), undefined);
      assertDecision(policy.tick(1_000_000), false, false, 'non-revertive');
      assertDecision(policy.command('auto', 1_000_001), false, false, 'non-revertive');
    });

    it("fails back at once on the operator's 'primary'", () => {
      const policy = failedAt1000({ mode: 'non-revertive' });
      policy.primaryLink(true, 2000);
      assertDecision(policy.command('primary', 2001), true, true, 'force primary');
    });
  });

  describe('standby down', () => {
    it('uses the primary despite non-revertive mode, and keeps it when the standby returns', () => {
      const policy = failedAt1000({ mode: 'non-revertive' });
      policy.primaryLink(true, 2000);
      const down = policy.standbyLink(false, 3000);
      const expected = 'standby down and primary usable: using primary despite non-revertive mode';
      assertDecision(down, true, true, 'standby link down', expected);
      const back = policy.standbyLink(true, 4000);
      assertDecision(back, true, false, 'standby link up', 'keeping primary');
    });

    it('uses the primary despite a pending failback delay (revertive), and keeps it', () => {
      const policy = failedAt1000();
      policy.primaryLink(true, 2000);
      assertDecision(policy.standbyLink(false, 2500), true, true, 'despite failback delay');
      assert.equal(policy.nextDeadlineMs(), undefined);
      assertDecision(policy.standbyLink(true, 3000), true, false, 'keeping primary');
    });

    it("uses the primary despite the operator's 'standby', until the standby returns", () => {
      const policy = running();
      policy.command('standby', 1000);
      assertDecision(policy.standbyLink(false, 2000), true, true, 'despite operator standby');
      assertDecision(policy.standbyLink(true, 3000), false, true, 'force standby');
    });

    it('uses a primary that comes up while the standby is down, without delay', () => {
      const policy = failedAt1000();
      policy.standbyLink(false, 1500);
      assertDecision(policy.primaryLink(true, 2000), true, true, 'standby down and primary usable');
    });

    it('says there is no usable uplink when both are down', () => {
      const policy = failedAt1000();
      const decision = policy.standbyLink(false, 2000);
      assertDecision(decision, false, false, 'primary link down', 'no usable uplink');
      assert.equal(policy.snapshot().standbyLinkUp, false);
    });
  });

  describe('flap damping', () => {
    const damping: FlapDampingConfig = { maxChanges: 3, windowMs: 10000, holdMs: 30000 };

    it('holds the primary off when the flap count reaches maxChanges in the window', () => {
      const policy = running({ flapDamping: damping });
      const third = flap(policy, 3, 1000);
      const expected = 'primary flapped 3 times in 10000 ms; holding standby for 30000 ms';
      assertDecision(third, false, false, expected);
      const snapshot = policy.snapshot();
      assert.equal(snapshot.dampedUntilMs, 3000 + HOLD_MS);
      assert.equal(snapshot.recentFlapCount, 3);
      assert.equal(snapshot.failbackAtMs, 3000 + HOLD_MS);
    });

    it('does not hold for flaps spread wider than the window', () => {
      const policy = running({ flapDamping: damping });
      for (const atMs of [1000, 7000, 13000]) {
        policy.primaryLink(false, atMs);
        policy.primaryLink(true, atMs + 100);
      }
      assert.equal(policy.snapshot().dampedUntilMs, undefined);
      assert.equal(policy.snapshot().recentFlapCount, 2);
      assert.equal(policy.nextDeadlineMs(), 13100 + DELAY_MS);
    });

    it('fails back when the hold expires if the delay has already run', () => {
      const policy = running({ flapDamping: damping });
      flap(policy, 3, 1000);
      const holdEndMs = 3000 + HOLD_MS;
      assert.equal(policy.nextDeadlineMs(), holdEndMs);
      assertDecision(policy.tick(holdEndMs - 1), false, false, 'after flap hold');
      assertDecision(policy.tick(holdEndMs), true, true, 'flap hold over', 'failing back');
      assert.equal(policy.snapshot().dampedUntilMs, undefined);
    });

    it('fails back at usable-since + delay when that is after the hold end', () => {
      const policy = running({ flapDamping: damping });
      flap(policy, 3, 1000);
      policy.primaryLink(false, 32000);
      const holdEndMs = 32000 + HOLD_MS;
      policy.primaryLink(true, holdEndMs - 500);
      assert.equal(policy.snapshot().failbackAtMs, holdEndMs - 500 + DELAY_MS);
      assert.equal(policy.nextDeadlineMs(), holdEndMs);
      const holdOver = policy.tick(holdEndMs);
      assertDecision(holdOver, false, false, 'flap hold over', 'failing back in 1500 ms');
      assert.equal(policy.nextDeadlineMs(), holdEndMs - 500 + DELAY_MS);
      assertDecision(policy.tick(holdEndMs - 500 + DELAY_MS), true, true, 'stable for 2000 ms');
    });

    it('extends the hold on a new flap during it', () => {
      const policy = running({ flapDamping: damping });
      flap(policy, 3, 1000);
      const again = policy.primaryLink(false, 20000);
      assertDecision(again, false, false, 'flapped again during the flap hold', 'holding standby');
      assert.equal(policy.snapshot().dampedUntilMs, 20000 + HOLD_MS);
    });

    it('ends the hold while the primary is down, then uses the normal delay', () => {
      const policy = running({ flapDamping: damping });
      flap(policy, 3, 1000);
      policy.primaryLink(false, 3500);
      const holdEndMs = 3500 + HOLD_MS;
      assert.equal(policy.nextDeadlineMs(), holdEndMs);
      assertDecision(policy.tick(holdEndMs), false, false, 'flap hold over', 'link down');
      assert.equal(policy.nextDeadlineMs(), undefined);
      policy.primaryLink(true, 40000);
      assert.equal(policy.nextDeadlineMs(), 40000 + DELAY_MS);
    });

    it("lets the operator's 'primary' skip a hold", () => {
      const policy = running({ flapDamping: damping });
      flap(policy, 3, 1000);
      assertDecision(policy.command('primary', 4000), true, true, 'force primary');
    });

    it('uses the primary despite a hold when the standby is down', () => {
      const policy = running({ flapDamping: damping });
      flap(policy, 3, 1000);
      assertDecision(policy.standbyLink(false, 4000), true, true, 'despite flap hold');
    });

    it('never holds with maxChanges 0', () => {
      const policy = running({ flapDamping: { ...damping, maxChanges: 0 } });
      flap(policy, 10, 1000);
      assert.equal(policy.snapshot().dampedUntilMs, undefined);
      assert.equal(policy.nextDeadlineMs(), 10100 + DELAY_MS);
    });
  });

  describe('primary out of service (tx stall, reset)', () => {
    it('drops a working primary whose link still reads up, and says why', () => {
      const policy = running();
      assertDecision(policy.primaryFault('tx-stalled', 1000), false, true, 'primary tx stalled');
      assertDecision(policy.primaryLink(true, 1500), false, false, 'out of service (tx-stalled) until it is reset');
      assert.equal(policy.snapshot().primaryFault, 'tx-stalled');
      assert.equal(policy.nextDeadlineMs(), undefined, 'no failback is pending while it is out of service');
    });

    it('fails back only failbackDelayMs after its reset, not after its link reads up', () => {
      const policy = running();
      policy.primaryFault('reset', 1000);
      assertDecision(policy.tick(1000 + DELAY_MS + 1), false, false);
      assertDecision(policy.primaryRestored(5000), false, false, 'primary reset: back in service');
      assert.equal(policy.snapshot().primaryFault, null);
      assert.equal(policy.nextDeadlineMs(), 5000 + DELAY_MS);
      assertDecision(policy.tick(5000 + DELAY_MS), true, true, 'failing back');
    });

    it('fails over again on every stall after a failback, until flap damping holds the standby', () => {
      const damping: FlapDampingConfig = { maxChanges: 3, windowMs: 20000, holdMs: 30000 };
      const policy = running({ flapDamping: damping });
      let atMs = 1000;
      for (let stall = 1; stall <= 3; stall++) {
        assertDecision(policy.primaryFault('tx-stalled', atMs), false, true, 'tx stalled');
        policy.primaryRestored(atMs + 200);
        atMs += 200 + DELAY_MS;
        const failback = policy.tick(atMs);
        if (stall < 3) assertDecision(failback, true, true, 'failing back');
        else assertDecision(failback, false, false, 'after flap hold');
        atMs += 100;
      }
      assert.equal(policy.snapshot().recentFlapCount, 3);
      assert.ok(policy.snapshot().dampedUntilMs! > atMs, 'the hold outlasts the last stall');
    });

    it('forgets the fault when the device goes and another is attached', () => {
      const policy = running();
      policy.primaryFault('tx-stalled', 1000);
      assertDecision(policy.primaryPresence(false, 'reprobing', 1100), false, false, 'primary reprobing');
      assert.equal(policy.snapshot().primaryFault, null);
      policy.primaryPresence(true, 'attached', 2000);
      assertDecision(policy.primaryLink(true, 2100), false, false, 'failing back in');
      assertDecision(policy.tick(2100 + DELAY_MS), true, true, 'failing back');
    });
  });

  describe('guest', () => {
    it('records connect and disconnect without changing a working primary', () => {
      const policy = running();
      assertDecision(policy.guest(true, 1000), true, false, 'guest connected');
      assert.equal(policy.snapshot().guestConnected, true);
      assertDecision(policy.guest(false, 2000), true, false, 'guest disconnected');
      assert.equal(policy.snapshot().guestConnected, false);
    });

    it('leaves a pending failback running', () => {
      const policy = failedAt1000();
      policy.primaryLink(true, 2000);
      assertDecision(policy.guest(false, 3000), false, false, 'guest disconnected', 'failing back');
      assert.equal(policy.nextDeadlineMs(), 4000);
    });
  });
});
