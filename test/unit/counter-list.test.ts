// native/dpdk/hot/counters.def is the one list of the data plane's counters: TypeScript's copy is
// generated from it, and every consumer (metrics, the `stats` command, the lab's ledger) is made
// from that copy, so a counter added there reaches all of them or a test here fails.
import { strict as assert } from 'assert';
import fs from 'fs';
import { formatStats } from '../../src/cli/format';
import { request } from '../../src/control/client';
import { COUNTER_LIST } from '../../src/dataplane';
import { createRegistry } from '../../src/metrics/collectors';
import { books } from '../../lab/ledger';
import { DEF_FILE, TS_FILE, counterListSource } from '../../scripts/write-counter-list';
import { fakeDaemonPerTest } from '../support/fake-daemon';

// The names operators' dashboards and alerts use: a counter may be added, these stay.
const METRICS = [
  'vhost_failover_tx_packets_total',
  'vhost_failover_tx_bytes_total',
  'vhost_failover_rx_packets_total',
  'vhost_failover_rx_bytes_total',
  'vhost_failover_announcement_rounds_total',
  'vhost_failover_garps_total',
  'vhost_failover_dropped_packets_total',
];
const DROP_REASONS = {
  tx: ['uplink_full', 'no_path', 'runt', 'oversize', 'spoofed', 'in_vhost'],
  rx: ['guest_not_ready', 'inactive_path'],
};

describe('the counter list (native/dpdk/hot/counters.def)', function () {
  it('is what src/dataplane/counter-list.ts holds (else run scripts/write-counter-list.ts)', async function () {
    const generated = await counterListSource(fs.readFileSync(DEF_FILE, 'utf8'));
    assert.equal(fs.readFileSync(TS_FILE, 'utf8'), generated, 'counter-list.ts is stale');
  });

  it('names each counter once, with a help text and a heading', function () {
    const names = COUNTER_LIST.map((counter) => counter.name);
    assert.equal(new Set(names).size, names.length);
    for (const counter of COUNTER_LIST) assert.ok(counter.help && counter.label, counter.name);
  });

  describe('drives its consumers', function () {
    const f = fakeDaemonPerTest();

    it('metrics: one per counter, or a reason of vhost_failover_dropped_packets_total; the names unchanged', async function () {
      const text = await createRegistry(f.daemon).metrics();
      const exported = new Set([...text.matchAll(/^# TYPE (vhost_failover_\w+) counter$/gm)].map((m) => m[1]));
      for (const name of METRICS) assert.ok(exported.has(name), `${name} is gone`);
      for (const counter of COUNTER_LIST) {
        const metric = `vhost_failover_${counter.metric}_total`;
        const labels = counter.reason
          ? `group="vm1",path="${counter.perPath ? 'primary' : 'none'}",direction="${counter.direction}",reason="${counter.reason}"`
          : `group="vm1"${counter.perPath ? ',path="primary"' : ''}`;
        assert.match(text, new RegExp(`^${metric}\\{${labels}\\} \\d+$`, 'm'), counter.name);
      }
      for (const [direction, reasons] of Object.entries(DROP_REASONS))
        for (const reason of reasons) assert.match(text, new RegExp(`direction="${direction}",reason="${reason}"`));
    });

    it('the stats command: a column per path or a phrase per group for each counter', async function () {
      const text = formatStats(await request(f.socket, 'stats'));
      const [header] = text.split('\n');
      for (const counter of COUNTER_LIST)
        if (counter.perPath) assert.ok(header.includes(counter.label), counter.label);
        else assert.match(text, new RegExp(`^vm1: .*${counter.label} 0`, 'm'), counter.label);
    });

    it("the lab's ledger: every drop cause of the guest's frames", async function () {
      const stats = { ...(await request(f.socket, 'stats')).groups.vm1, mbufsInUse: 0 };
      const causes = Object.keys(books(stats, stats, 0).droppedByCause);
      const expected = COUNTER_LIST.filter((c) => c.direction === 'tx' && c.reason).flatMap((c) =>
        c.perPath ? [`${c.reason}_primary`, `${c.reason}_standby`] : [c.reason],
      );
      assert.deepEqual(causes.sort(), expected.sort());
    });
  });
});
