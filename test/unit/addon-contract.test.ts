// The addon's contract is written once, in src/dataplane/native.ts; this loads the real addon
// (no EAL is started, so no root is needed) and holds what it exports to that file.
import { strict as assert } from 'assert';
import { ADDON_FUNCTIONS, SWITCH_CAUSES, loadAddon } from '../../src/dataplane/native';

describe('native addon contract', function () {
  const addon = loadAddon() as unknown as Record<string, unknown>;

  it('exports exactly the functions NativeAddon declares', function () {
    const functions = Object.keys(addon).filter((key) => typeof addon[key] === 'function');
    assert.deepEqual(functions.sort(), [...ADDON_FUNCTIONS].sort());
  });

  it('names the switch causes as the TypeScript union does, in enum order', function () {
    assert.deepEqual(addon.switchCauses, [...SWITCH_CAUSES]);
  });

  it("says which DPDK it was built with: the distribution's 22.11 LTS", function () {
    assert.match(addon.dpdkVersion as string, /^DPDK 22\.11\.\d+/);
  });

  it('refuses calls before start and arguments of the wrong type, with errors instead of crashes', function () {
    const call = (name: string, ...args: unknown[]) => (addon[name] as (...a: unknown[]) => unknown)(...args);
    assert.throws(() => call('groupStatus', 'vm1'), /the data plane is not started/);
    assert.throws(() => call('start', 42, () => {}), /options must be an object/);
    assert.equal(call('shutdown'), undefined, 'shutdown before start is harmless');
  });
});
