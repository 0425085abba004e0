// The operator's view of a running daemon on real devices: the CLI, the control protocol with
// bad input, the failover policy's commands and delays, and the Prometheus endpoint.
import { strict as assert } from 'assert';
import { spawn, spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { validateConfig } from '../../src/config';
import { exchange, request } from '../../src/control/client';
import { MAX_REQUEST_BYTES } from '../../src/control/protocol';
import { COUNTER_LIST } from '../../src/dataplane/counter-list';
import { BRIDGE, labConfig } from '../../lab/topology';
import { openLedger } from '../../lab/ledger';
import { topologyPerTest } from '../support/lab';
import { groupStatsShape, shapeOf } from '../support/value-shape';
import { waitFor, waitForRise } from '../../lab/wait';

const CLI = path.resolve(__dirname, '..', '..', 'src', 'cli.js');
function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('operator interface (real DPDK)', function () {
  const lab = topologyPerTest();

  it('CLI status and stats reflect a pulled primary; --json parses; switch moves traffic', async function () {
    const topology = await lab.start(labConfig({ failover: { failbackDelayMs: 300 } }));
    const { netns, primaryTap, standbyTap, controlSocket } = topology;
    await topology.startSender();
    await waitForRise('frames on the primary', () => netns.counters(primaryTap).rxPackets);

    const human = cli('status', '--socket', controlSocket);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /vm1\s+connected\s+primary\s+up, eligible/);
    assert.match(human.stdout, /^vhost-failover \S+ \(pid \d+\) on DPDK \d+\.\d+\.\d+ \(addon compiled with DPDK /);
    // A failover onto a live standby: pulled before the daemon saw the standby's tap up, the
    // switch would rightly be reported as the standby's coming up.
    await waitFor('the standby link up', async () => (await topology.groupStatus()).standby.linkUp);

    netns.setLink(primaryTap, 'down');
    await topology.waitForActivePath('standby');
    const [pulled] = JSON.parse(cli('status', '--json', '--socket', controlSocket).stdout);
    assert.equal(pulled.activePath, 'standby');
    assert.equal(pulled.primary.linkUp, false);
    assert.match(pulled.lastSwitch.reason, /primary link down/);
    netns.setLink(primaryTap, 'up');
    await topology.waitForActivePath('primary');

    assert.equal(cli('switch', 'vm1', 'standby', '--socket', controlSocket).code, 0);
    await topology.waitForActivePath('standby');
    await waitForRise('frames on the standby after switch standby', () => netns.counters(standbyTap).rxPackets);
    const primaryNow = netns.counters(primaryTap).rxPackets;
    await waitForRise('frames on the standby', () => netns.counters(standbyTap).rxPackets);
    assert.ok(netns.counters(primaryTap).rxPackets - primaryNow < 10, 'the primary must be idle after switch standby');

    assert.equal(cli('switch', 'vm1', 'auto', '--socket', controlSocket).code, 0);
    await topology.waitForActivePath('primary');
    await waitForRise('frames on the primary after switch auto', () => netns.counters(primaryTap).rxPackets);

    const stats = JSON.parse(cli('stats', '--json', '--socket', controlSocket).stdout);
    assert.ok(stats.groups.vm1.txPackets.standby > 0);
    assert.ok(stats.groups.vm1.switches.operator >= 1);
    // The real addon's counters, as counters.def shapes them (the fake addon's, in the unit tests).
    const { switches: _switches, ...counters } = stats.groups.vm1;
    assert.deepEqual(shapeOf(counters), groupStatsShape());
    assert.equal(cli('groups', '--socket', controlSocket).stdout, 'vm1\n');
    const table = cli('stats', '--socket', controlSocket);
    assert.match(table.stdout, /^GROUP\s+PATH\s+TX PKTS/m);
  });

  it('stats --watch refreshes with rates until stopped', async function () {
    const topology = await lab.start();
    await topology.startSender();
    const watch = spawn(process.execPath, [CLI, 'stats', '--watch', '--json', '--socket', topology.controlSocket]);
    let output = '';
    watch.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await waitFor('two refreshes', () => output.split('\n').length > 2, 10000);
      const second = JSON.parse(output.split('\n')[1]);
      assert.ok(second.rates.vm1.txPps.primary > 0, 'the second refresh must show a rate');
    } finally {
      watch.kill('SIGINT');
    }
  });

  it('gives exit codes scripts can rely on', async function () {
    const topology = await lab.start();
    const socket = topology.controlSocket;
    assert.equal(cli('switch', 'nosuch', 'primary', '--socket', socket).code, 1);
    assert.match(cli('switch', 'nosuch', 'primary', '--socket', socket).stderr, /no group "nosuch"; groups: vm1/);
    assert.equal(cli('switch', 'vm1', 'sideways', '--socket', socket).code, 1);
    assert.equal(cli('status', '--socket', path.join(topology.dir, 'absent.sock')).code, 3);
    assert.equal(cli('frobnicate').code, 2);
  });

  it('answers malformed requests with errors and keeps forwarding', async function () {
    const topology = await lab.start();
    const { netns, primaryTap, controlSocket } = topology;
    await topology.startSender();
    await waitForRise('frames on the primary', () => netns.counters(primaryTap).rxPackets);

    const bad: Array<[string, RegExp]> = [
      ['{not json', /not valid JSON/],
      ['[1,2]', /must be a JSON object/],
      ['{"v":1,"op":42}', /needs "op"/],
      ['{"v":2,"op":"status"}', /version 2 is not supported/],
      ['{"v":1,"op":"reboot"}', /unknown op "reboot"; known: groups, status/],
      ['{"v":1,"op":"switch","group":"vm1","to":7}', /"to", a non-empty string/],
      ['{"v":1,"op":"stats","group":"vm9"}', /no group "vm9"; groups: vm1/],
      ['{"v":1,"op":"add-group","config":{"name":"vm/2"}}', /groups\[1\]\.name/],
      [`{"v":1,"op":"status","pad":"${'x'.repeat(MAX_REQUEST_BYTES + 10)}"}`, /request longer than/],
    ];
    for (const [line, expected] of bad) {
      const reply = await exchange(controlSocket, line);
      assert.equal(reply.ok, false, line.slice(0, 80));
      assert.match((reply as { error: string }).error, expected);
    }
    await waitForRise('frames on the primary after the bad requests', () => netns.counters(primaryTap).rxPackets);
    assert.equal((await topology.groupStatus()).activePath, 'primary');
  });

  it('makes the control socket 0600 and refuses other users', async function () {
    const topology = await lab.start();
    const { controlSocket } = topology;
    assert.equal(fs.statSync(controlSocket).mode & 0o777, 0o600);
    fs.chmodSync(path.dirname(controlSocket), 0o755); // only the socket's own mode may refuse
    const probe = `require('net').createConnection(${JSON.stringify(controlSocket)}).on('connect', () => process.exit(0)).on('error', (e) => { console.log(e.code); process.exit(1); })`;
    const asNobody = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '-e', probe], { encoding: 'utf8' });
    assert.equal(asNobody.status, 1);
    assert.match(asNobody.stdout, /EACCES/);
  });

  it('gives the control socket to control.group with control.mode', async function () {
    const base = labConfig();
    const config = validateConfig({ ...base, control: { ...base.control, mode: '0660', group: 'nogroup' } });
    const topology = await lab.start(config);
    const socket = fs.statSync(topology.controlSocket);
    assert.equal(socket.mode & 0o777, 0o660);
    assert.equal(
      socket.gid,
      Number(spawnSync('getent', ['group', 'nogroup'], { encoding: 'utf8' }).stdout.split(':')[2]),
    );
  });

  it('serves Prometheus metrics whose counters rise with traffic', async function () {
    const port = 20000 + (process.pid % 20000);
    const topology = await lab.start(labConfig({ metricsPort: port }));
    const { netns } = topology;
    await topology.startSender();
    const scrape = () => netns.exec('curl', '-sf', `http://127.0.0.1:${port}/metrics`);
    const txPrimary = () =>
      Number(/^vhost_failover_tx_packets_total\{group="vm1",path="primary"\} (\d+)/m.exec(scrape())?.[1] ?? NaN);
    await waitForRise('the scraped tx counter', txPrimary, 10000);
    const text = scrape();
    assert.match(text, /# TYPE vhost_failover_tx_packets_total counter/);
    assert.match(text, /^vhost_failover_active_path\{group="vm1",path="primary"\} 1$/m);
    assert.match(text, /^vhost_failover_guest_connected\{group="vm1"\} 1$/m);
    assert.match(text, /^vhost_failover_mbufs_in_use \d+$/m);
    for (const counter of COUNTER_LIST)
      assert.match(text, new RegExp(`^vhost_failover_${counter.metric}_total\\{group="vm1".*${counter.reason}`, 'm'));
    assert.ok(netns.counters(BRIDGE).rxPackets > 0);
  });
});

describe('failover policy on real devices', function () {
  const lab = topologyPerTest();

  it('revertive: returns to the primary only after it has been up for failbackDelayMs', async function () {
    const topology = await lab.start(labConfig({ failover: { mode: 'revertive', failbackDelayMs: 1500 } }));
    const { netns, primaryTap } = topology;
    const ledger = await openLedger(topology);
    const vm = await topology.startSender();
    await waitForRise('frames on the primary', () => netns.counters(primaryTap).rxPackets);
    netns.setLink(primaryTap, 'down');
    await topology.waitForActivePath('standby');
    netns.setLink(primaryTap, 'up');
    const pending = await waitFor(
      'a pending failback',
      async () => (await topology.groupStatus()).policy?.failbackAtMs,
    );
    assert.equal((await topology.groupStatus()).activePath, 'standby', 'no failback before the delay');
    await topology.waitForActivePath('primary', 10000);
    assert.ok(pending > 0);
    const stableMs = Number(
      /stable for (\d+) ms: failing back/.exec((await topology.groupStatus()).policy!.lastReason)?.[1],
    );
    assert.ok(stableMs >= 1500, `failed back after ${stableMs} ms of stability`);
    await waitForRise('frames on the primary again', () => netns.counters(primaryTap).rxPackets);
    await vm.command('stop');
    await ledger.close('a pull and a revertive failback');
  });

  it('non-revertive: stays on the standby until told', async function () {
    const topology = await lab.start(labConfig({ failover: { mode: 'non-revertive', failbackDelayMs: 0 } }));
    const { netns, primaryTap, controlSocket } = topology;
    const ledger = await openLedger(topology);
    const vm = await topology.startSender();
    await waitForRise('frames on the primary', () => netns.counters(primaryTap).rxPackets);
    netns.setLink(primaryTap, 'down');
    await topology.waitForActivePath('standby');
    netns.setLink(primaryTap, 'up');
    await waitFor('the primary link up', async () => (await topology.groupStatus()).primary.linkUp);
    assert.equal((await topology.groupStatus()).activePath, 'standby');
    assert.equal(cli('switch', 'vm1', 'primary', '--socket', controlSocket).code, 0);
    await topology.waitForActivePath('primary');
    await waitForRise('frames on the primary again', () => netns.counters(primaryTap).rxPackets);
    await vm.command('stop');
    await ledger.close('a pull and an operator failback');
  });
});

describe('flapping and removal on real devices', function () {
  const lab = topologyPerTest();

  it('holds the standby after the primary flaps, then fails back when the hold ends', async function () {
    const failover = { failbackDelayMs: 0, flapDamping: { maxChanges: 3, windowMs: 60000, holdMs: 1500 } };
    const topology = await lab.start(labConfig({ failover }));
    const t = topology;
    const ledger = await openLedger(t);
    const vm = await t.startSender();
    await waitForRise('frames on the primary', () => t.netns.counters(t.primaryTap).rxPackets);
    for (let flap = 0; flap < 3; flap++) {
      t.netns.setLink(t.primaryTap, 'down');
      await t.waitForActivePath('standby');
      t.netns.setLink(t.primaryTap, 'up');
      await waitFor('the primary link up', async () => (await t.groupStatus()).primary.linkUp);
    }
    const held = await t.groupStatus();
    assert.equal(held.activePath, 'standby', 'a flapping primary must be held off');
    assert.ok(held.policy?.dampedUntilMs, 'the hold must show in status');
    assert.match(held.policy!.lastReason, /flap hold/);
    await t.waitForActivePath('primary', 10000);
    await waitForRise('frames on the primary again', () => t.netns.counters(t.primaryTap).rxPackets);
    await vm.command('stop');
    await ledger.close('3 flaps, a hold and a failback');
  });

  it('survives the primary device vanishing under traffic, and takes a new one', async function () {
    const topology = await lab.start(labConfig({ failover: { failbackDelayMs: 300 } }));
    const t = topology;
    const ledger = await openLedger(t);
    const vm = await t.startSender();
    await waitForRise('frames on the primary', () => t.netns.counters(t.primaryTap).rxPackets);
    t.netns.ip('link', 'del', t.primaryTap); // the kernel side of the device is gone
    await t.waitForActivePath('standby');
    await waitForRise('frames on the standby', () => t.netns.counters(t.standbyTap).rxPackets);

    await request(t.controlSocket, 'detach', { group: 'vm1' });
    await request(t.controlSocket, 'attach', { group: 'vm1', devargs: t.group.primary.devargs });
    await waitFor('the new tap', () => t.netns.hasLink(t.primaryTap));
    await t.waitForActivePath('primary');
    await waitForRise('frames on the new primary', () => t.netns.counters(t.primaryTap).rxPackets);
    await vm.command('stop');
    await ledger.close('a deleted primary and a new one');
  });
});
