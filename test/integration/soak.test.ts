// The soak's short form, about a minute of the default suite: 120 faults in a seeded order under
// traffic (cables, operator commands, removals, deleted taps, guests killed and restarted in both
// socket modes, a group added and removed, hostile control clients), every invariant checked after
// each one. The long form (`npm run soak`) is docs/lab/notes/2026-11-29-soak.md.
// VHOST_FAILOVER_SOAK_SEED replays a run.
import { strict as assert } from 'assert';
import { runSoak } from '../../lab/soak/soak';

describe('soak (real DPDK, short form)', function () {
  it('keeps every invariant through 120 faults and 6 guest restarts', async function () {
    this.timeout(10 * 60 * 1000);
    const seed = Number(process.env.VHOST_FAILOVER_SOAK_SEED ?? 1);
    const summary = await runSoak({ seed, faults: 120, reconnects: 6 });
    assert.equal(summary.lostSilently, 0);
    assert.ok(summary.reconnects >= 6, `${summary.reconnects} guest restarts`);
    assert.ok(summary.byKind['client-mode-guest-restart'], 'a client-mode guest restarted');
    assert.ok(summary.byKind['add-remove-group'], 'a group added and removed');
  });
});
