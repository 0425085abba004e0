// The daemon's wiring without DPDK: the real Daemon, GroupRuntime, policy driver, announcer, path
// history, control server and handlers, talking over a real unix socket to the real client, on
// the fake addon. What the data plane does with packets is tested on real DPDK elsewhere.
import { strict as assert } from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import pino from 'pino';
import { loadConfigFile, validateConfig, type Config } from '../../src/config';
import { ControlError, request } from '../../src/control/client';
import { Daemon } from '../../src/daemon';
import { Dataplane } from '../../src/dataplane';
import { waitFor } from '../../lab/wait';
import { FakeAddon } from '../support/fake-addon';

function group(index: number, overrides: object = {}) {
  return {
    name: `vm${index}`,
    mac: `52:54:00:00:00:0${index}`,
    vhost: { socket: `/tmp/unused/vm${index}.sock`, mode: 'client' },
    primary: { devargs: `0000:3b:02.${index}` },
    standby: { devargs: `net_tap${index},iface=sb-vm${index}` },
    ...overrides,
  };
}

describe('daemon wiring (fake addon, no DPDK)', function () {
  let dir: string;
  let addon: FakeAddon;
  let daemon: Daemon | undefined;
  let socket: string;

  async function start(overrides: object = {}): Promise<Config> {
    socket = path.join(dir, 'control.sock');
    const config = validateConfig({
      control: { socket, faultInjection: true },
      // The fake PCI devices of these tests are no VFs in this machine's sysfs.
      devices: { pciAddresses: ['0000:3b'] },
      failover: { failbackDelayMs: 50 },
      announce: { rounds: 3, initialMs: 30, stepMs: 0, maxMs: 30 },
      groups: [group(1)],
      ...overrides,
    });
    daemon = new Daemon(config, pino({ level: 'silent' }), new Dataplane(addon));
    await daemon.start();
    return config;
  }

  const status = async (name = 'vm1') => (await request(socket, 'status', { group: name }))[0];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-unit-'));
    addon = new FakeAddon();
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('brings a group up on its primary, announces the guest once it connects, and answers status over the socket', async function () {
    const config = await start();
    assert.equal(addon.startOptions!.maxMtu, 1500);
    assert.deepEqual(addon.startOptions!.workerLcores, [1]);
    const up = await waitFor('the primary', async () => (await status()).activePath === 'primary' && status());
    assert.equal(up.policy.lastReason.includes('initial bring-up'), true);
    assert.equal(up.lastSwitch?.activePath, 'primary');
    // No guest yet: nothing to announce (it may run on another host, as after a migration).
    assert.deepEqual(addon.groups.get('vm1')!.announcements, { primary: 0, standby: 0, none: 0 });
    addon.setGuest('vm1', true);
    await waitFor('three rounds', () => addon.groups.get('vm1')!.announcements.primary === 3);
    await waitFor('the rounds to end', async () => !(await status()).announcing);
    assert.deepEqual(addon.groups.get('vm1')!.announcements, { primary: 3, standby: 0, none: 0 });
    assert.deepEqual(await request(socket, 'groups'), ['vm1']);
    assert.equal(addon.groups.get('vm1')!.spec.garpMaxAgeMs, config.announce.garpMaxAgeMs);
  });

  it('fails over on a link event, counts the switch by its cause, and fails back after the delay', async function () {
    await start();
    await waitFor('the primary', async () => (await status()).activePath === 'primary');
    addon.setLink('vm1', 'primary', false);
    await waitFor('the standby', async () => (await status()).activePath === 'standby');
    addon.setLink('vm1', 'primary', true);
    const pending = await waitFor('a pending failback', async () => (await status()).policy.failbackAtMs);
    assert.ok(pending > 0);
    await waitFor('the failback', async () => (await status()).activePath === 'primary');
    const { switches } = (await request(socket, 'stats')).groups.vm1;
    assert.deepEqual(switches, { other: 1, failback: 2, 'link-down': 1 });
  });

  it("gives a primary with guestMac 'set' its own MAC back while its guest is away, and the guest's when it returns", async function () {
    await start({ groups: [group(1, { primary: { devargs: '0000:3b:02.1', guestMac: 'set' } })] });
    await waitFor('the primary', async () => (await status()).activePath === 'primary');
    addon.setGuest('vm1', true); // the port's start gave it the guest's MAC: nothing to do
    addon.setGuest('vm1', false); // migrated away, the group kept
    addon.setGuest('vm1', false);
    addon.setGuest('vm1', true); // back
    await waitFor('the events handled', async () => (await status()).guestConnected);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(addon.guestMacCarried, [
      { group: 'vm1', carry: false },
      { group: 'vm1', carry: true },
    ]);
  });

  it('leaves the MAC of a primary without guestMac set alone when its guest comes and goes', async function () {
    await start();
    await waitFor('the primary', async () => (await status()).activePath === 'primary');
    addon.setGuest('vm1', true);
    addon.setGuest('vm1', false);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(addon.guestMacCarried, []);
  });

  it('takes operator commands and reports them as operator switches', async function () {
    await start();
    await waitFor('the primary', async () => (await status()).activePath === 'primary');
    const forced = await request(socket, 'switch', { group: 'vm1', to: 'standby' });
    assert.deepEqual(forced, {
      primaryEligible: false,
      reason: 'operator: force standby',
      changed: true,
      activePath: 'standby',
    });
    await waitFor('the switch recorded', async () => (await status()).lastSwitch?.activePath === 'standby');
    assert.equal((await request(socket, 'stats')).groups.vm1.switches.operator, 1);
    await assert.rejects(request(socket, 'switch', { group: 'vm1', to: 'sideways' }), /"to" must be one of/);
    await assert.rejects(request(socket, 'switch', { group: 'vm9', to: 'auto' }), /no group "vm9"; groups: vm1/);
  });

  it('adds and removes groups at run time, checked like the config file', async function () {
    await start();
    const added = await request(socket, 'add-group', { config: group(2) });
    assert.equal(added.mtu, 1500, 'defaults filled in');
    assert.deepEqual(await request(socket, 'groups'), ['vm1', 'vm2']);
    await assert.rejects(
      request(socket, 'add-group', { config: group(3, { primary: { devargs: '0000:3b:02.1' } }) }),
      /a device can be an uplink of only one group/,
    );
    await request(socket, 'remove-group', { group: 'vm2' });
    assert.deepEqual([...addon.groups.keys()], ['vm1']);
    await assert.rejects(request(socket, 'status', { group: 'vm2' }), /no group "vm2"/);
  });

  it('detaches and attaches the primary; an attach is checked against the other groups', async function () {
    await start({ groups: [group(1), group(2)] });
    await waitFor('the primary', async () => (await status()).activePath === 'primary');
    const detached = await request(socket, 'detach', { group: 'vm1' });
    assert.equal(detached.txDrain, 'not-reported');
    assert.equal(detached.activePath, 'standby');
    assert.match(detached.policy.lastReason, /primary detached/);
    await assert.rejects(request(socket, 'attach', { group: 'vm1', devargs: '3b:02.2' }), /already used by/);
    const attached = await request(socket, 'attach', { group: 'vm1', devargs: '0000:3b:02.7' });
    assert.equal(attached.primary.devargs, '0000:3b:02.7');
    addon.setLink('vm1', 'primary', true);
    await waitFor('the new primary', async () => (await status()).activePath === 'primary');
    // The attached device now belongs to vm1 for later checks.
    await assert.rejects(
      request(socket, 'add-group', { config: group(3, { primary: { devargs: '0000:3b:02.7' } }) }),
      /already used by groups\[0\]\.primary\.devargs/,
    );
  });

  it('closes a surprise-removed primary and counts the switch as a removal', async function () {
    await start();
    await waitFor('the primary', async () => (await status()).activePath === 'primary');
    await request(socket, 'inject-removal', { group: 'vm1' });
    await waitFor('the removed primary closed', () => addon.groups.get('vm1')!.uplinks.primary.devargs === '');
    const after = await status();
    assert.equal(after.activePath, 'standby');
    assert.equal((await request(socket, 'stats')).groups.vm1.switches.removed, 1);
  });

  it('resets a primary native code took out of service, and re-probes one whose driver cannot reset', async function () {
    await start();
    await waitFor('the primary', async () => (await status()).activePath === 'primary');
    assert.deepEqual(await request(socket, 'inject-tx-stall', { group: 'vm1' }), {
      injected: 'tx-stall',
      group: 'vm1',
    });
    await waitFor('the standby', async () => (await status()).activePath === 'standby');
    await waitFor('the reset', () => addon.resets.length === 1);
    await waitFor('the failback after the reset', async () => (await status()).activePath === 'primary');
    assert.equal((await request(socket, 'stats')).groups.vm1.switches['tx-stalled'], 1);

    // A driver without reset: its device is closed and probed afresh by the retry, as after a removal.
    addon.unresettable.add('0000:3b:02.1');
    assert.deepEqual(await request(socket, 'inject-reset', { group: 'vm1' }), { injected: 'reset', group: 'vm1' });
    await waitFor('the primary closed', () => addon.groups.get('vm1')!.uplinks.primary.devargs === '');
    assert.match((await status()).policy.lastReason, /primary reprobing/);
    await waitFor('the primary attached again', () => addon.groups.get('vm1')!.uplinks.primary.present, 5000);
    addon.setLink('vm1', 'primary', true);
    await waitFor('the failback', async () => (await status()).activePath === 'primary');
    assert.equal((await request(socket, 'stats')).groups.vm1.switches.reset, 1);
  });

  it("closes a primary the kernel asks the daemon to release (vfio's device request), by its signal", async function () {
    await start();
    await waitFor('the primary', async () => (await status()).activePath === 'primary');
    await assert.rejects(
      request(socket, 'inject-removal', { group: 'vm1', signal: 'yank' }),
      /"signal" must be one of "rmv", "device-event"/,
    );
    const reply = await request(socket, 'inject-removal', { group: 'vm1', signal: 'device-event' });
    assert.deepEqual(reply, { injected: 'removal', group: 'vm1', signal: 'device-event' });
    assert.deepEqual(addon.removalSignals, ['device-event']);
    await waitFor('the removed primary closed', () => addon.groups.get('vm1')!.uplinks.primary.devargs === '');
  });

  it('refuses fault injection unless the config allows it, and changes the log level', async function () {
    await start({ control: { socket: path.join(dir, 'control.sock') } });
    await assert.rejects(request(socket, 'inject-removal', { group: 'vm1' }), ControlError);
    assert.deepEqual(await request(socket, 'set-log-level', { level: 'debug' }), { level: 'debug' });
    await assert.rejects(request(socket, 'set-log-level', { level: 'loud' }), /"level" must be one of "fatal"/);
  });

  it('lets any client read but only root or an operator change, naming the rule', async function () {
    await start();
    addon.peer = { pid: 4242, uid: 65534, gid: 65534, groups: [] };
    assert.deepEqual(await request(socket, 'groups'), ['vm1']);
    await assert.rejects(
      request(socket, 'switch', { group: 'vm1', to: 'standby' }),
      /permission denied \(EPERM\): "switch" changes the daemon, and uid 65534 \(pid 4242\) is not root/,
    );
    await assert.rejects(request(socket, 'remove-group', { group: 'vm1' }), /permission denied/);
    assert.deepEqual(await request(socket, 'groups'), ['vm1']);
  });

  it('refuses run-time sockets outside the run-time directories', async function () {
    await start({ control: { socket: path.join(dir, 'control.sock'), runtimeDirectories: [dir] } });
    await assert.rejects(
      request(socket, 'add-group', { config: group(2) }),
      /\/tmp\/unused\/vm2.sock lies outside the run-time directories/,
    );
    const inside = await request(socket, 'add-group', {
      config: group(2, { vhost: { socket: path.join(dir, 'vm2.sock'), mode: 'client' } }),
    });
    assert.equal(inside.name, 'vm2');
  });

  it('names itself to a second instance, which refuses to start and leaves the socket alone', async function () {
    await start();
    const second = new Daemon(daemon!.config, pino({ level: 'silent' }), new Dataplane(new FakeAddon()));
    await assert.rejects(
      second.start(),
      new RegExp(`another vhost-failover \\(pid ${process.pid}, version .*\\) is listening on ${socket}`),
    );
    assert.ok(fs.existsSync(socket), "the first instance's socket stays");
    assert.deepEqual(await request(socket, 'groups'), ['vm1']);
  });

  describe('starting without devices, and reload', function () {
    async function startFromFile(content: object): Promise<string> {
      const file = path.join(dir, 'config.json');
      fs.writeFileSync(file, JSON.stringify(content));
      socket = path.join(dir, 'control.sock');
      daemon = new Daemon(loadConfigFile(file), pino({ level: 'silent' }), new Dataplane(addon), { configPath: file });
      await daemon.start();
      return file;
    }
    const base = () => ({
      control: { socket: path.join(dir, 'control.sock') },
      devices: { pciAddresses: ['0000:3b'] },
      groups: [group(1)],
    });

    it('runs a group on its standby while its primary cannot be probed, and takes it when it can', async function () {
      addon.unprobeable.add('0000:3b:02.1');
      await start();
      const waiting = await status();
      assert.equal(waiting.activePath, 'standby');
      assert.match(waiting.primaryRetry!.lastError, /cannot probe device "0000:3b:02.1"/);
      addon.unprobeable.clear();
      await waitFor('the primary attached by a retry', async () => (await status()).primary.present, 5000);
      assert.equal((await status()).primaryRetry, null);
      addon.setLink('vm1', 'primary', true);
      await waitFor('the primary', async () => (await status()).activePath === 'primary');
    });

    it('stops trying a missing primary on detach, and retries a group that cannot start alone', async function () {
      addon.unprobeable.add('0000:3b:02.1');
      addon.unprobeable.add('net_tap2,iface=sb-vm2');
      await start({ groups: [group(1), group(2)] });
      const detached = await request(socket, 'detach', { group: 'vm1' });
      assert.equal(detached.primaryRetry, null, 'no more tries after a detach');
      assert.deepEqual(detached.notSaved, ['primary detached at run time; the config file names 0000:3b:02.1']);
      const health = await request(socket, 'health');
      assert.deepEqual(health.running, ['vm1']);
      assert.equal(health.failed[0].name, 'vm2');
      await request(socket, 'remove-group', { group: 'vm2' });
      assert.deepEqual((await request(socket, 'health')).failed, []);
    });

    it('starts over a changed group that never started, and a group the file now names that came from add-group', async function () {
      addon.unprobeable.add('net_tap2,iface=sb-vm2');
      const file = await startFromFile({ ...base(), groups: [group(1), group(2)] });
      await request(socket, 'add-group', {
        config: group(3, { vhost: { socket: path.join(dir, 'vm3.sock'), mode: 'client' } }),
      });
      addon.unprobeable.clear();
      const next = {
        ...base(),
        groups: [
          group(1),
          group(2, { announce: { rounds: 1 } }),
          group(3, { vhost: { socket: path.join(dir, 'vm3.sock'), mode: 'client' }, mtu: 1400 }),
        ],
      };
      fs.writeFileSync(file, JSON.stringify(next));
      const reply = await request(socket, 'reload');
      assert.deepEqual(reply.restarted.sort(), ['vm2', 'vm3']);
      assert.deepEqual(reply.failed, []);
      const health = await request(socket, 'health');
      assert.deepEqual(health.running.sort(), ['vm1', 'vm2', 'vm3']);
      assert.deepEqual((await status('vm3')).notSaved, [], 'vm3 now comes from the file');
    });

    it('refuses a file whose groups collide with one added at run time, changing nothing', async function () {
      const file = await startFromFile(base());
      await request(socket, 'add-group', {
        config: group(2, { vhost: { socket: path.join(dir, 'vm2.sock'), mode: 'client' } }),
      });
      fs.writeFileSync(file, JSON.stringify({ ...base(), groups: [group(1), group(3, { mac: '52:54:00:00:00:02' })] }));
      await assert.rejects(request(socket, 'reload'), /is already the MAC of/);
      assert.deepEqual(await request(socket, 'groups'), ['vm1', 'vm2']);
    });

    it('applies new failover and announce settings to every group without touching its ports', async function () {
      const file = await startFromFile({ ...base(), groups: [group(1), group(2)] });
      fs.writeFileSync(
        file,
        JSON.stringify({ ...base(), groups: [group(1), group(2)], announce: { garpMaxAgeMs: 5 } }),
      );
      const reply = await request(socket, 'reload');
      assert.deepEqual(reply.unchanged, ['vm1', 'vm2']);
      assert.equal(addon.groups.get('vm2')!.spec.garpMaxAgeMs, 5);
    });
  });

  it('removes its control socket and the groups when it stops', async function () {
    await start();
    assert.ok(fs.existsSync(socket));
    await daemon!.stop();
    daemon = undefined;
    assert.ok(!fs.existsSync(socket));
    assert.equal(addon.groups.size, 0);
  });
});
