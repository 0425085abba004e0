// worker-stats and port-xstats through the real Daemon, control server and client on the fake
// addon: the ops, their refusals, the CLI's tables and the metrics. What the workers measure is
// tested on real DPDK (test/integration/worker-stats.test.ts).
import { strict as assert } from 'assert';
import { request } from '../../src/control/client';
import { formatPortXstats, formatWorkerStats } from '../../src/cli/format-workers';
import { createRegistry } from '../../src/metrics/collectors';
import { fakeDaemonPerTest } from '../support/fake-daemon';

describe('worker-stats and port-xstats (fake addon, no DPDK)', function () {
  const f = fakeDaemonPerTest();

  it("reports each worker's cycles, frames and poll units, and prints shares and cycles per frame", async function () {
    f.addon.workerCycles = { busyCycles: 3000, idleCycles: 1000, asleepCycles: 6000, frames: 10 };
    const reply = await request(f.socket, 'worker-stats');
    assert.equal(reply.tscHz, 2e9);
    assert.deepEqual(reply.workers[0].pollUnits, [
      { group: 'vm1', queue: 0, ports: { vhost: 0, primary: 0, standby: 1 }, frames: 10 },
    ]);
    const text = formatWorkerStats(reply);
    assert.match(text, /^LCORE\s+BUSY\s+IDLE\s+ASLEEP\s+FRAMES\s+CYCLES\/FRAME\s+PASSES$/m);
    assert.match(text, /^1\s+30\.0%\s+10\.0%\s+60\.0%\s+10\s+300\s+\d+$/m);
    assert.match(text, /^lcore 1 polls vm1 queue 0 \(guest vid 0, primary port 0, standby port 1\): 10 frames$/m);
    assert.match(text, /TSC 2000 MHz/);
  });

  it('prints dashes for a worker that has moved nothing, and a detached primary as none', async function () {
    await request(f.socket, 'detach', { group: 'vm1' });
    const text = formatWorkerStats(await request(f.socket, 'worker-stats'));
    assert.match(text, /^1\s+-\s+-\s+-\s+0\s+-\s+\d+$/m);
    assert.match(text, /\(guest vid 0, primary port none, standby port 1\)/);
  });

  it("reads a port's xstats by name, the primary by default, and refuses an unknown or absent port", async function () {
    const primary = await request(f.socket, 'port-xstats', { group: 'vm1' });
    assert.equal(primary.port, 'primary');
    assert.deepEqual(primary.xstats[0], { name: 'rx_good_packets', value: 7 });
    assert.match(formatPortXstats(primary), /^vm1 primary port: 2 counters\nNAME\s+VALUE\nrx_good_packets\s+7\n/);
    assert.equal((await request(f.socket, 'port-xstats', { group: 'vm1', port: 'vhost' })).port, 'vhost');
    await assert.rejects(
      request(f.socket, 'port-xstats', { group: 'vm1', port: 'uplink' }),
      /"port" must be one of "vhost", "primary", "standby", not "uplink"/,
    );
    await assert.rejects(request(f.socket, 'port-xstats', { group: 'vm9' }), /no group "vm9"/);
    await request(f.socket, 'detach', { group: 'vm1' });
    await assert.rejects(request(f.socket, 'port-xstats', { group: 'vm1' }), /has no primary port in service/);
  });

  it('exports busy and idle cycles, frames and time asleep per worker as metrics', async function () {
    f.addon.workerCycles = { busyCycles: 3000, idleCycles: 1000, asleepCycles: 4e9, frames: 10 };
    const text = await createRegistry(f.daemon).metrics();
    assert.match(text, /^vhost_failover_worker_cycles_total\{worker="1",state="busy"\} 3000$/m);
    assert.match(text, /^vhost_failover_worker_cycles_total\{worker="1",state="idle"\} 1000$/m);
    assert.match(text, /^vhost_failover_worker_frames_total\{worker="1"\} 10$/m);
    assert.match(text, /^vhost_failover_worker_asleep_seconds_total\{worker="1"\} 2$/m);
  });
});
