// Host operations on real DPDK: a group that starts without its primary and heals when the
// device appears, a group that cannot start at all next to one that runs, a restart under a
// running Linux guest that brings both paths back, a reload under traffic, the service manager's
// notifications, and DPDK's own log lines in the daemon's JSON log.
import { strict as assert } from 'assert';
import { spawn, spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { request } from '../../src/control/client';
import { validateConfig } from '../../src/config';
import { DaemonProcess } from '../../lab/daemon-process';
import { openLedger } from '../../lab/ledger';
import { runInNetns } from '../../lab/netns';
import { BRIDGE, GUEST_IP, labConfig, type Topology } from '../../lab/topology';
import { waitFor, waitForRise } from '../../lab/wait';
import { topologyPerTest } from '../support/lab';

const CLI = path.resolve(__dirname, '..', '..', 'src', 'cli.js');

/** The longest silence between two ping replies, from `ping -D` output, and the loss. */
function pingGaps(output: string): { longestGapMs: number; sent: number; received: number; lastGapEndS: number } {
  const times = [...output.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from/gm)].map((m) => Number(m[1]));
  let longest = 0;
  let lastGapEndS = 0;
  for (let i = 1; i < times.length; i++)
    if (times[i] - times[i - 1] > longest / 1000) {
      longest = (times[i] - times[i - 1]) * 1000;
      lastGapEndS = times[i];
    }
  const summary = /(\d+) packets transmitted, (\d+) received/.exec(output);
  return { longestGapMs: Math.round(longest), sent: Number(summary?.[1]), received: Number(summary?.[2]), lastGapEndS };
}

describe('host operations: starting without devices (real DPDK)', function () {
  const lab = topologyPerTest();

  it('starts a group whose primary cannot be probed on its standby, and takes the primary when it appears', async function () {
    const base = labConfig({ failover: { failbackDelayMs: 0 } });
    const vethOurs = `vfa${base.groups[0].primary.devargs.slice(-5)}`;
    const vethBridge = `vfb${base.groups[0].primary.devargs.slice(-5)}`;
    // The primary is an af_packet port on an interface that does not exist yet, as a VF that is
    // not created yet; a second group's standby cannot be opened at all.
    const config = validateConfig({
      ...base,
      groups: [
        { ...base.groups[0], primary: { devargs: `net_af_packet0,iface=${vethOurs}` } },
        {
          name: 'vm2',
          mac: '52:54:00:00:0f:02',
          vhost: { socket: path.join(path.dirname(base.control.socket), 'vm2.sock') },
          primary: { devargs: `net_tap4,iface=vfx${base.groups[0].primary.devargs.slice(-5)}` },
          standby: { devargs: 'net_af_packet1,iface=nosuchif0' },
        },
      ],
    });
    const t = await lab.start(config);
    const status = await t.groupStatus();
    assert.equal(status.activePath, 'standby');
    assert.match(status.primaryRetry?.lastError ?? '', /cannot probe device "net_af_packet0/);
    const health = await request(t.controlSocket, 'health');
    assert.deepEqual(health.running, ['vm1']);
    assert.equal(health.failed[0].name, 'vm2');
    assert.match(health.failed[0].lastError, /standby port: cannot probe device "net_af_packet1,iface=nosuchif0"/);
    const shown = spawnSync(
      'ip',
      ['netns', 'exec', t.netns.name, process.execPath, CLI, 'status', '-s', t.controlSocket],
      {
        encoding: 'utf8',
      },
    ).stdout;
    assert.match(shown, /vm1: primary not there, on the standby; try \d+ at/);
    assert.match(shown, /vm2: NOT RUNNING/);

    const ledger = await openLedgerOnStandby(t);
    const vm = await t.startSender();
    await waitForRise('frames on the standby', () => t.netns.counters(t.standbyTap).rxPackets);
    // The device appears: one end for the daemon's af_packet port, the other in the bridge.
    t.netns.ip('link', 'add', vethOurs, 'type', 'veth', 'peer', 'name', vethBridge);
    t.netns.ip('link', 'set', vethBridge, 'master', BRIDGE, 'up');
    t.netns.ip('link', 'set', vethOurs, 'up');
    await t.waitForActivePath('primary', 40000);
    assert.equal((await t.groupStatus()).primaryRetry, null);
    await waitForRise('frames through the af_packet primary', () => t.netns.counters(vethBridge).rxPackets);
    await vm.command('stop');
    const books = await ledger.close('a primary that appeared late');
    assert.ok(books.onUplink.primary > 0 && books.onUplink.standby > 0);
  });

  it('exits with the configuration-error status on a bad config, and with requireAllGroups when a group cannot start', async function () {
    const dir = fs.mkdtempSync('/tmp/vf-exit-');
    try {
      const bad = path.join(dir, 'bad.yaml');
      fs.writeFileSync(bad, 'groups:\n  - name: vm/1\n');
      const checked = spawnSync(process.execPath, [CLI, 'check-config', bad], { encoding: 'utf8' });
      assert.equal(checked.status, 78);
      assert.match(checked.stderr, /groups\[0\]\.name: "vm\/1" is not a valid group name/);
      const run = spawnSync(process.execPath, [CLI, 'run', '--config', bad], { encoding: 'utf8', timeout: 30000 });
      assert.equal(run.status, 78);

      const base = labConfig();
      const strict = validateConfig({
        ...base,
        startup: { requireAllGroups: true },
        groups: [{ ...base.groups[0], standby: { devargs: 'net_af_packet1,iface=nosuchif1' } }],
      });
      const file = path.join(dir, 'strict.json');
      fs.writeFileSync(file, JSON.stringify(strict));
      const exited = spawnSync(process.execPath, [CLI, 'run', '--config', file], { encoding: 'utf8', timeout: 60000 });
      assert.equal(exited.status, 1, exited.stderr);
      assert.match(exited.stderr, /standby port: cannot probe device/);
      fs.rmSync(path.dirname(base.control.socket), { recursive: true, force: true });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The ledger opens on the primary; a group that starts on its standby opens it there. */
async function openLedgerOnStandby(t: Topology) {
  await t.waitForActivePath('standby');
  await t.announcementsDone();
  const stats = await t.groupStats();
  const bridge = t.netns.counters(BRIDGE).rxPackets;
  const ledger = { before: stats, bridge };
  return {
    close: async (what: string) => {
      await t.trafficStopped();
      await t.announcementsDone();
      const { books } = await import('../../lab/ledger');
      const result = books(ledger.before, await t.groupStats(), t.netns.counters(BRIDGE).rxPackets - ledger.bridge);
      console.log(
        `      guest sent ${result.sent}, bridge got ${result.arrived}, lost ${result.lostSilently} across ${what}`,
      );
      assert.equal(result.lostSilently, 0);
      assert.equal(result.dropped, 0);
      return result;
    },
  };
}

describe('host operations: a restart under a running Linux guest (real DPDK, QEMU)', function () {
  this.timeout(300000);
  const lab = topologyPerTest();

  for (const mode of ['server', 'client'] as const) {
    it(`brings both paths back when the daemon restarts, cleanly and after SIGKILL (vhost ${mode} mode), and measures the guest's gap`, async function () {
      const base = labConfig();
      const config = validateConfig({
        ...base,
        groups: [{ ...base.groups[0], vhost: { ...base.groups[0].vhost, mode } }],
      });
      const t = await lab.start(config);
      // QEMU is the client (reconnecting every second) when the daemon serves the socket, and
      // the server when the daemon connects.
      await t.startQemuVm(mode === 'server' ? { reconnectS: 1 } : { vhostRole: 'server' });
      await t.waitForActivePath('primary');
      // A service restart (SIGTERM), then a crash (SIGKILL: nothing cleaned up, sockets left).
      for (const how of ['SIGTERM', 'SIGKILL'] as const) {
        const ping = runInNetns(t.netns.name, ['ping', '-D', '-i', '0.01', '-W', '0.05', '-c', '700', GUEST_IP]);
        const answered = (await t.groupStats()).txPackets.primary;
        await waitFor('pings answered', async () => (await t.groupStats()).txPackets.primary > answered + 50, 30000);

        const spawnedAt = await t.restartDaemon(how);
        const ready = Date.now();
        const status = await t.groupStatus();
        assert.deepEqual(status.bridges, { primary: BRIDGE, standby: BRIDGE }, 'both taps back in the bridge');
        await waitFor('the guest back', async () => (await t.groupStatus()).guestConnected, 20000);
        await t.waitForActivePath('primary');
        const result = pingGaps(await ping);
        const backAfterMs = Math.round(result.lastGapEndS * 1000 - spawnedAt);
        console.log(
          `      ${mode} mode, ${how}: longest ping gap ${result.longestGapMs} ms; the guest answered again ${backAfterMs} ms ` +
            `after the new daemon was spawned (it answered its control socket after ${ready - spawnedAt} ms); ` +
            `${result.sent - result.received} of ${result.sent} pings lost`,
        );
        assert.ok(result.lastGapEndS * 1000 > spawnedAt, 'the guest answered after the new daemon was spawned');
      }
      // Both paths carry the guest again: the standby too, as a failover shows.
      t.netns.setLink(t.primaryTap, 'down');
      await t.waitForActivePath('standby');
      const answered = await runInNetns(t.netns.name, ['ping', '-c', '5', '-i', '0.05', '-W', '1', GUEST_IP]);
      assert.match(answered, /5 received/, 'the guest answers through the standby after the restart');
    });
  }
});

describe('host operations: reload (real DPDK)', function () {
  const lab = topologyPerTest();

  it('adds, changes and removes groups under traffic without touching the unchanged one; a bad file changes nothing', async function () {
    const base = labConfig();
    const id = base.groups[0].primary.devargs.slice(-5);
    const dir = path.dirname(base.control.socket);
    // Groups next to vm1, their taps out of the bridge: vm1's books count only vm1's frames.
    const group = (name: string, n: number, mac: string) => ({
      name,
      mac,
      vhost: { socket: path.join(dir, `${name}.sock`) },
      primary: { devargs: `net_tap${n},iface=vp${name}${id}` },
      standby: { devargs: `net_tap${n + 1},iface=vs${name}${id}` },
    });
    const t = await lab.start(
      validateConfig({ ...base, groups: [...base.groups, group('vm2', 4, '52:54:00:00:0f:02')] }),
    );
    const ledger = await openLedger(t);
    const vm = await t.startSender();
    await waitForRise('vm1 traffic', () => t.netns.counters(t.primaryTap).rxPackets);
    const vm1Before = await t.groupStatus();

    const file = t.daemon!.configPath;
    const raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    // A file that fails validation changes nothing and says why.
    fs.writeFileSync(file, JSON.stringify({ ...raw, groups: [...raw.groups, { name: 'bad/name' }] }));
    await assert.rejects(request(t.controlSocket, 'reload'), /groups\[2\]\.name/);
    assert.deepEqual(await request(t.controlSocket, 'groups'), ['vm1', 'vm2']);

    // vm2's MAC changes (a restart), vm3 comes, the failback delay changes for all.
    const next = {
      ...raw,
      failover: { failbackDelayMs: 1234 },
      groups: [raw.groups[0], { ...raw.groups[1], mac: '52:54:00:00:0f:22' }, group('vm3', 8, '52:54:00:00:0f:03')],
    };
    fs.writeFileSync(file, JSON.stringify(next));
    const reply = await request(t.controlSocket, 'reload');
    assert.deepEqual(reply.added, ['vm3']);
    assert.deepEqual(reply.restarted, ['vm2']);
    assert.deepEqual(reply.unchanged, ['vm1']);
    assert.deepEqual(reply.failed, []);
    assert.deepEqual(await request(t.controlSocket, 'groups'), ['vm1', 'vm2', 'vm3']);

    // vm3 goes again, by SIGHUP this time.
    fs.writeFileSync(file, JSON.stringify({ ...next, groups: next.groups.slice(0, 2) }));
    t.daemon!.signal('SIGHUP');
    await waitFor('vm3 removed', async () => (await request(t.controlSocket, 'groups')).length === 2);

    const vm1After = await t.groupStatus();
    assert.equal(vm1After.primary.portId, vm1Before.primary.portId, 'vm1 kept its ports');
    assert.equal(vm1After.lastSwitch?.activeSinceNs, vm1Before.lastSwitch?.activeSinceNs, 'vm1 did not switch');
    await vm.command('stop');
    await ledger.close('three reloads next to it');
    await t.daemon!.waitForLog(/"msg":"configuration reloaded"/, 5000);
  });

  it('marks what a restart would not bring back', async function () {
    const t = await lab.start();
    await request(t.controlSocket, 'switch', { group: 'vm1', to: 'standby' });
    const status = await t.groupStatus();
    assert.deepEqual(status.notSaved, ['operator command "standby" (in memory only)']);
  });
});

describe('host operations: the service manager and the log (real DPDK)', function () {
  const lab = topologyPerTest();

  it("says READY once its sockets exist, feeds the watchdog, says RELOADING and STOPPING (systemd's notify protocol)", async function () {
    const base = labConfig();
    const dir = path.dirname(base.control.socket);
    const notifySocket = path.join(dir, 'notify.sock');
    // A unix datagram listener, as systemd's: Node has no unix datagram sockets; python3 has.
    const listener = spawn('python3', [
      '-u',
      '-c',
      `import socket\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ns.bind(${JSON.stringify(notifySocket)})\nprint('listening', flush=True)\nwhile True:\n  print(repr(s.recv(4096).decode()), flush=True)`,
    ]);
    let heard = '';
    listener.stdout.on('data', (chunk: Buffer) => (heard += chunk.toString()));
    try {
      await waitFor('the listener', () => heard.includes('listening'));
      const t = await lab.start(base);
      await t.daemon!.stop(); // restarted below with the service manager's environment
      const env = { NOTIFY_SOCKET: notifySocket, WATCHDOG_USEC: '400000' };
      t.daemon = await DaemonProcess.start(base, dir, t.netns, env);
      const ready = await waitFor('READY=1', () => /READY=1\\nSTATUS=1 group\(s\) running\\nMAINPID=\d+/.exec(heard));
      assert.ok(fs.existsSync(t.vhostSocket) && fs.existsSync(t.controlSocket), 'sockets exist once ready');
      assert.ok(ready);
      await waitFor('three watchdog feeds', () => (heard.match(/WATCHDOG=1/g) ?? []).length >= 3, 5000);
      t.daemon!.signal('SIGHUP');
      await waitFor('RELOADING=1 then READY=1', () => /RELOADING=1[^]*READY=1/.test(heard));
      await t.daemon!.stop();
      await waitFor('STOPPING=1', () => heard.includes('STOPPING=1'));
      console.log(
        `      heard: ${heard
          .split('\n')
          .filter((l) => l.startsWith("'"))
          .slice(0, 3)
          .join(' | ')}`,
      );
    } finally {
      listener.kill();
    }
  });

  it("writes DPDK's own log lines into its JSON log, and nothing else to its output", async function () {
    const base = labConfig();
    const t = await lab.start(
      validateConfig({ ...base, dataplane: { ...base.dataplane, extraEalArgs: ['--log-level', 'lib.eal:info'] } }),
    );
    await t.daemon!.stop();
    const lines = t.daemon!.log.split('\n').filter(Boolean);
    const notJson = lines.filter((line) => {
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
    assert.deepEqual(notJson, [], 'every output line is a JSON log line');
    const dpdk = lines.filter((line) => line.includes('"source":"dpdk"'));
    console.log(`      ${dpdk.length} DPDK lines, e.g. ${dpdk[0]}`);
    assert.ok(
      dpdk.some((line) => /"msg":"EAL: /.test(line)),
      'EAL lines among them',
    );
  });
});
