// The failover plumbing around the pure policy, on plain fakes: the driver applies decisions with
// their causes and keeps one timer, the announcer's rounds, and how path history names switches.
import { strict as assert } from 'assert';
import pino from 'pino';
import type { DecisionCause, GroupStatus, PathSwitchedEvent } from '../../src/dataplane';
import { Announcer } from '../../src/failover/announcer';
import { PathHistory, switchKind } from '../../src/failover/path-history';
import { PolicyDriver } from '../../src/failover/policy-driver';
import { waitFor } from '../../lab/wait';
import { minimalConfig } from '../support/configs';

const config = minimalConfig({ failover: { failbackDelayMs: 30 } });
const silent = pino({ level: 'silent' });

function groupStatus(primaryLinkUp: boolean): GroupStatus {
  const uplink = (linkUp: boolean) => ({
    devargs: 'x',
    kind: 'ethdev' as const,
    portId: 1,
    present: true,
    linkUp,
    rxFilter: { multicast: 'all', vlan: 'all' },
  });
  return {
    name: 'vm1',
    guestConnected: true,
    primary: uplink(primaryLinkUp),
    standby: uplink(true),
    primaryEligible: false,
    activePath: 'standby',
    announcementPending: false,
    queues: 1,
    guestRxQueuesEnabled: [0],
    guestQueuesBeyondGroup: false,
    guestIPv4: [],
  };
}

function switched(to: PathSwitchedEvent['to'], cause: PathSwitchedEvent['cause']): PathSwitchedEvent {
  return { type: 'pathSwitched', group: 'vm1', from: 'standby', to, cause, reason: 'test', atNs: 1n };
}

describe('policy driver', function () {
  const decisions: Array<{ eligible: boolean; cause: DecisionCause }> = [];
  const sink = {
    setPrimaryEligible(eligible: boolean, cause: DecisionCause) {
      decisions.push({ eligible, cause });
      return true;
    },
  };
  let driver: PolicyDriver | undefined;
  beforeEach(() => (decisions.length = 0));
  afterEach(() => driver?.stop());

  it('brings up a primary whose link is up at start, as the policy', function () {
    driver = new PolicyDriver(sink, config.failover, groupStatus(true), silent);
    assert.deepEqual(decisions.at(-1), { eligible: true, cause: 'policy' });
  });

  it('passes operator commands and a detach on with their own causes', function () {
    driver = new PolicyDriver(sink, config.failover, groupStatus(true), silent);
    driver.command('standby');
    assert.deepEqual(decisions.at(-1), { eligible: false, cause: 'operator' });
    driver.command('primary');
    assert.deepEqual(decisions.at(-1), { eligible: true, cause: 'operator' });
    driver.primaryPresence(false, 'detached');
    assert.deepEqual(decisions.at(-1), { eligible: false, cause: 'detached' });
  });

  it('fails back on its own timer once the delay has passed', async function () {
    driver = new PolicyDriver(sink, config.failover, groupStatus(true), silent);
    const link = (up: boolean) => ({ type: 'link', group: 'vm1', port: 'primary', up, reason: '', atNs: 0n }) as const;
    driver.onEvent(link(false));
    driver.onEvent(link(true));
    assert.equal(decisions.at(-1)!.eligible, false, 'not before the delay');
    assert.ok(driver.snapshot().failbackAtMs !== undefined);
    await waitFor('the failback', () => decisions.at(-1)!.eligible);
    assert.equal(decisions.at(-1)!.cause, 'policy');
  });

  it('applies nothing once stopped', async function () {
    driver = new PolicyDriver(sink, config.failover, groupStatus(true), silent);
    driver.onEvent({ type: 'link', group: 'vm1', port: 'primary', up: false, reason: '', atNs: 0n });
    driver.onEvent({ type: 'link', group: 'vm1', port: 'primary', up: true, reason: '', atNs: 0n });
    driver.stop();
    const count = decisions.length;
    await new Promise((resolve) => setTimeout(resolve, 60)); // longer than the failback delay
    assert.equal(decisions.length, count);
  });
});

describe('announcer', function () {
  const settings = { rounds: 4, initialMs: 2, stepMs: 2, maxMs: 5, garpMaxAgeMs: 0 };

  it('sends every round after a switch to a path, and none after a switch to no path', async function () {
    let rounds = 0;
    const announcer = new Announcer({ announce: () => rounds++ }, settings, undefined, true);
    announcer.onPathSwitched(switched('none', 'link-down'));
    assert.equal(rounds, 0);
    announcer.onPathSwitched(switched('standby', 'link-down'));
    assert.equal(rounds, 1, 'the first round goes out at once');
    assert.ok(announcer.pending());
    await waitFor('all rounds', () => !announcer.pending());
    assert.equal(rounds, 4);
  });

  it('starts over on the next switch and stops when told', function () {
    let rounds = 0;
    const announcer = new Announcer({ announce: () => rounds++ }, settings, undefined, true);
    announcer.onPathSwitched(switched('standby', 'link-down'));
    announcer.onPathSwitched(switched('primary', 'policy'));
    assert.equal(rounds, 2);
    announcer.stop();
    assert.equal(announcer.pending(), false);
  });

  it('is silent with rounds: 0', function () {
    let rounds = 0;
    new Announcer({ announce: () => rounds++ }, { ...settings, rounds: 0 }, undefined, true).onPathSwitched(
      switched('standby', 'link-down'),
    );
    assert.equal(rounds, 0);
  });
});

describe('path history', function () {
  it('names a switch by its native cause; any switch to the primary is a failback', function () {
    assert.equal(switchKind({ to: 'standby', cause: 'removed' }), 'removed');
    assert.equal(switchKind({ to: 'primary', cause: 'operator' }), 'operator');
    assert.equal(switchKind({ to: 'primary', cause: 'policy' }), 'failback');
    assert.equal(switchKind({ to: 'standby', cause: 'link-down' }), 'link-down');
    assert.equal(switchKind({ to: 'none', cause: 'link-down' }), 'link-down');
    assert.equal(switchKind({ to: 'standby', cause: 'link-up' }), 'other');
    assert.equal(switchKind({ to: 'standby', cause: 'detached' }), 'detached');
  });

  it('keeps the last switch and counts every kind', function () {
    const history = new PathHistory();
    assert.equal(history.last(), undefined);
    history.observe(switched('standby', 'link-down'));
    history.observe(switched('primary', 'policy'));
    history.observe(switched('standby', 'link-down'));
    const last = history.last()!;
    assert.equal(last.activePath, 'standby');
    assert.equal(last.switches, 3);
    assert.deepEqual(last.switchesByKind, { 'link-down': 2, failback: 1 });
  });
});
