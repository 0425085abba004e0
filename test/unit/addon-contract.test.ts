// The addon's contract is written once, in src/dataplane/native.ts; this loads the real addon
// (no EAL is started, so no root is needed) and holds what it exports to that file.
import { strict as assert } from 'assert';
import { COUNTER_LIST } from '../../src/dataplane/counter-list';
import { ADDON_FUNCTIONS, SWITCH_CAUSES, loadAddon } from '../../src/dataplane/native';
import { FakeAddon } from '../support/fake-addon';
import { groupStatsShape, shapeOf } from '../support/value-shape';

describe('native addon contract', function () {
  const addon = loadAddon() as unknown as Record<string, unknown>;

  it('exports exactly the functions NativeAddon declares', function () {
    const functions = Object.keys(addon).filter((key) => typeof addon[key] === 'function');
    assert.deepEqual(functions.sort(), [...ADDON_FUNCTIONS].sort());
  });

  it('names the switch causes as the TypeScript union does, in enum order', function () {
    assert.deepEqual(addon.switchCauses, [...SWITCH_CAUSES]);
  });

  it('lists its counters from native/dpdk/hot/counters.def as counter-list.ts does: names, slots, metrics, causes, labels', function () {
    assert.deepEqual(addon.counters, COUNTER_LIST);
  });

  // The addon's reply is made by the same macro as its list; on real DPDK, test/integration/
  // operator.test.ts holds its groupStats to the same shape.
  it("the fake addon's groupStats has the keys, types and nesting counters.def gives", function () {
    const fake = new FakeAddon();
    fake.addGroup({
      name: 'vm1',
      mac: '52:54:00:00:00:01',
      mtu: 1500,
      rx: 'failover',
      rxGraceMs: 500,
      queues: 1,
      spoofCheck: true,
      vhostSocket: '/tmp/unused.sock',
      vhostClient: false,
      primaryDevargs: 'net_tap0,iface=p',
      standbyDevargs: 'net_tap1,iface=s',
      primaryMac: 'set',
      rxDescriptors: 1024,
      txDescriptors: 1024,
      garpMaxAgeMs: 0,
    });
    assert.deepEqual(shapeOf(fake.groupStats('vm1')), groupStatsShape());
  });

  it("says which DPDK it runs on and was compiled with: a distribution's LTS (Debian 12's 22.11, 13's 24.11)", function () {
    assert.match(addon.dpdkVersion as string, /^DPDK (22|24)\.11\.\d+/);
    // The same release line: a minor update of the library may run under an older build.
    const line = (version: string) => version.split('.').slice(0, 2).join('.');
    assert.equal(line(addon.dpdkBuiltVersion as string), line(addon.dpdkVersion as string));
  });

  it('refuses calls before start and arguments of the wrong type, with errors instead of crashes', function () {
    const call = (name: string, ...args: unknown[]) => (addon[name] as (...a: unknown[]) => unknown)(...args);
    assert.throws(() => call('groupStatus', 'vm1'), /the data plane is not started/);
    assert.throws(() => call('start', 42, () => {}), /options must be an object/);
    assert.equal(call('shutdown'), undefined, 'shutdown before start is harmless');
  });

  // The schema refuses these too; the addon is the last line, as C reads a string up to its NUL.
  it('refuses every string that holds a NUL or another control character, naming it, before any native code uses it', function () {
    const call = (name: string, ...args: unknown[]) => (addon[name] as (...a: unknown[]) => unknown)(...args);
    const spec = {
      name: 'vm1',
      mac: '52:54:00:00:00:01',
      rx: 'failover',
      vhostSocket: '/run/vhost-failover/vm1.sock',
      primaryDevargs: 'net_tap0,iface=vm1-p',
      standbyDevargs: 'net_tap1,iface=vm1-s',
    };
    // assert.throws matches a RegExp against "TypeError: <message>".
    const refusal = (what: string) => new RegExp(`: ${what.replace(/[[\]]/g, '\\$&')} holds a control character`);
    for (const bad of ['\0', '\n', '\x1b', '\x7f', '\u0085'])
      for (const field of Object.keys(spec) as (keyof typeof spec)[]) {
        const value = `${spec[field].slice(0, 4)}${bad}${spec[field].slice(4)}`;
        assert.throws(
          () => call('addGroup', { ...spec, [field]: value }),
          refusal(field),
          `${field} with ${JSON.stringify(bad)}`,
        );
      }
    assert.throws(
      () =>
        call(
          'start',
          { ealArgs: ['--in-memory', '--vdev=net_pcap0\0'] },
          () => {},
          () => {},
        ),
      refusal('ealArgs[1]'),
    );
    assert.throws(
      () => call('setRxFilter', 'vm1', { multicast: ['01:00:5e:00:00:01\n'], vlans: [] }),
      refusal('multicast[0]'),
    );
    assert.throws(() => call('notifyService', ['READY=1', 'STATUS=up\nMAINPID=1']), refusal('assignments[1]'));
    assert.throws(() => call('addGroup', { ...spec, name: 7 }), /name must be a string/);
  });
});
