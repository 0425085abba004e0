// worker-stats and port-xstats on real DPDK: the worker's own clock (busy, idle, asleep cycles),
// its frames and poll units under a testpmd guest's traffic, and a port's xstats as its driver
// names them, through the CLI as an operator runs it.
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import path from 'path';
import { request } from '../../src/control/client';
import type { WorkerStats } from '../../src/dataplane';
import { labConfig } from '../../lab/topology';
import { topologyPerTest } from '../support/lab';
import { waitFor } from '../../lab/wait';

const CLI = path.resolve(__dirname, '..', '..', 'src', 'cli.js');
function cli(...args: string[]): string {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30000 });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

describe('worker-stats and port-xstats (real DPDK)', function () {
  const lab = topologyPerTest();

  it("counts the worker's cycles and frames: idle without traffic, busy with it at a sane cost per frame", async function () {
    const topology = await lab.start();
    const socket = topology.controlSocket;
    const stats = async () => request(socket, 'worker-stats');
    const worker = async (): Promise<WorkerStats> => (await stats()).workers[0];
    const { tscHz } = await stats();
    const quiet = await worker();
    // 200 ms of the worker's time without a guest: polled empty or slept, hardly ever busy.
    const quietLater = await waitFor(
      'the worker to account for 200 ms',
      async () => {
        const now = await worker();
        const spent = now.idleCycles + now.asleepCycles - quiet.idleCycles - quiet.asleepCycles;
        return spent > tscHz / 5 && now;
      },
      10000,
    );
    const quietBusy = quietLater.busyCycles - quiet.busyCycles;
    assert.ok(quietBusy < tscHz / 50, `busy ${quietBusy} cycles of 200 ms without a guest`);

    await topology.startSender();
    const start = await worker();
    const dequeuedAtStart = (await topology.groupStats()).guestDequeued;
    // The guest's count is read before the worker's: with the sender running, whichever is read
    // second has counted more (a read takes milliseconds on a loaded machine, a million frames a
    // second), so reading them the other way round made the worker look short of the guest.
    const { loaded, dequeuedAtEnd } = await waitFor(
      '20000 frames through the worker',
      async () => {
        const guest = (await topology.groupStats()).guestDequeued;
        const now = await worker();
        return now.frames >= start.frames + 20000 && { loaded: now, dequeuedAtEnd: guest };
      },
      20000,
    );
    const dequeued = dequeuedAtEnd - dequeuedAtStart;
    const frames = loaded.frames - start.frames;
    const busy = loaded.busyCycles - start.busyCycles;
    const perFrame = busy / frames;
    const total = busy + loaded.idleCycles - start.idleCycles + loaded.asleepCycles - start.asleepCycles;
    console.log(
      `      ${frames} frames (guest sent ${dequeued}) in ${(total / tscHz).toFixed(3)} s of the worker's time: ` +
        `busy ${((100 * busy) / total).toFixed(1)}%, ${Math.round(perFrame)} cycles per frame ` +
        `(${((perFrame / tscHz) * 1e9).toFixed(0)} ns at ${Math.round(tscHz / 1e6)} MHz)`,
    );
    assert.ok(loaded.passes > start.passes);
    // The guest's frames are counted as the worker dequeues them; a frame costs more than a few
    // cycles and less than 100 us (a tap's write is a system call, some microseconds).
    assert.ok(frames >= dequeued * 0.9, `worker frames ${frames}, guest dequeued ${dequeued}`);
    assert.ok(perFrame > 20 && perFrame < tscHz / 10000, `${perFrame} cycles per frame`);

    const [unit] = loaded.pollUnits;
    assert.equal(loaded.pollUnits.length, 1);
    assert.equal(unit.group, 'vm1');
    assert.equal(unit.queue, 0);
    for (const role of ['vhost', 'primary'] as const) assert.equal(typeof unit.ports[role], 'number');
    assert.equal(unit.ports.standby, null, 'the lab standby is an own tap, with no DPDK port');
    assert.ok(unit.frames >= frames, `unit ${unit.frames} frames, worker ${frames} since the sender started`);

    const table = cli('worker-stats', '--socket', socket);
    console.log(table.replace(/^/gm, '      '));
    assert.match(table, /^LCORE\s+BUSY\s+IDLE\s+ASLEEP\s+FRAMES\s+CYCLES\/FRAME\s+PASSES$/m);
    assert.match(table, /^\d+\s+\d+\.\d%\s+\d+\.\d%\s+\d+\.\d%\s+\d+\s+\d+\s+\d+$/m);
    assert.match(
      table,
      /^lcore \d+ polls vm1 queue 0 \(guest vid \d+, primary port \d+, standby port none\): \d+ frames$/m,
    );
    assert.equal(JSON.parse(cli('worker-stats', '--json', '--socket', socket)).workers.length, 1);
  });

  it("reads a port's xstats by its driver's names, on demand, and gives up on a port busy in a driver call", async function () {
    const topology = await lab.start(labConfig({ faultInjection: true }));
    const socket = topology.controlSocket;
    await topology.startSender();
    const sentOnPrimary = async () => {
      const reply = await request(socket, 'port-xstats', { group: 'vm1', port: 'primary' });
      return reply.xstats.find((xstat) => xstat.name === 'tx_good_packets')?.value ?? 0;
    };
    await waitFor('tx_good_packets on the primary', async () => (await sentOnPrimary()) > 1000, 20000);

    const primary = cli('port-xstats', 'vm1', '--socket', socket);
    console.log(primary.split('\n').slice(0, 6).join('\n').replace(/^/gm, '      '));
    assert.match(primary, /^vm1 primary port: \d+ counters\nNAME\s+VALUE\n/);
    assert.match(primary, /^rx_good_packets\s+\d+$/m);
    const vhost = JSON.parse(cli('port-xstats', 'vm1', 'vhost', '--json', '--socket', socket));
    const names = vhost.xstats.map((xstat: { name: string }) => xstat.name);
    console.log(`      vhost port: ${names.length} xstats, e.g. ${names.slice(-4).join(', ')}`);
    assert.ok(names.includes('rx_good_packets'), names.join(' '));
    // lib/vhost's per-vring counters beside their sums.
    assert.ok(names.length > 10, names.join(' '));

    // A driver call that does not return (a PF mailbox) holds the uplinks' locks for 2 s: the
    // read gives up after its bounded wait instead of hanging the daemon's event loop.
    await request(socket, 'inject-stall', { group: 'vm1', ms: 2000 });
    const asked = Date.now();
    await assert.rejects(
      request(socket, 'port-xstats', { group: 'vm1', port: 'primary' }),
      /the primary port is busy in another driver call; try again/,
    );
    assert.ok(Date.now() - asked < 1500, `refused after ${Date.now() - asked} ms`);
    assert.ok((await request(socket, 'port-xstats', { group: 'vm1', port: 'vhost' })).xstats.length > 0);
  });
});
