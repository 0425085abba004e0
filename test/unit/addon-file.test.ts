// The addon file is native code the root daemon runs: whichever file VHOST_FAILOVER_ADDON names
// must belong to root or the daemon's user and be writable by nobody else, checked on the open
// descriptor and loaded through it.
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { AddonFileRefused, loadAddonFile } from '../../src/dataplane/addon-file';
import { addonPath } from '../../src/dataplane/native';

const NOBODY = 65534;

describe('the addon file (VHOST_FAILOVER_ADDON)', function () {
  let dir: string;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vhost-failover-addon-'));
  });
  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function file(mode: number, uid?: number): string {
    const name = path.join(dir, 'addon.node');
    fs.writeFileSync(name, 'not really a library');
    fs.chmodSync(name, mode);
    if (uid !== undefined) fs.chownSync(name, uid, NOBODY);
    return name;
  }

  it('loads a file of its own user that nobody else may write, through the open descriptor', function () {
    const name = file(0o755);
    const loaded = loadAddonFile(name, (openPath) => {
      assert.match(openPath, /^\/proc\/self\/fd\/\d+$/);
      return fs.readFileSync(openPath, 'utf8');
    });
    assert.equal(loaded, 'not really a library');
  });

  it('refuses a file others may write, naming the mode', function () {
    for (const mode of [0o775, 0o757])
      assert.throws(
        () => loadAddonFile(file(mode), () => assert.fail('loaded')),
        (err: Error) => err instanceof AddonFileRefused && err.message.includes(`mode ${mode.toString(8)}`),
      );
  });

  it('refuses a file another user owns, and anything that is not a regular file', function () {
    if (process.geteuid?.() !== 0) this.skip();
    assert.throws(() => loadAddonFile(file(0o755, NOBODY), () => assert.fail('loaded')), /owned by uid 65534/);
    assert.throws(() => loadAddonFile(dir, () => assert.fail('loaded')), /not a regular file/);
  });

  it('keeps a daemon from loading a world-writable copy of the real addon', function () {
    const copy = path.join(dir, 'vhost_failover.node');
    fs.copyFileSync(addonPath, copy);
    fs.chmodSync(copy, 0o777);
    const load = (addon: string) =>
      spawnSync(
        process.execPath,
        ['-e', `require(${JSON.stringify(require.resolve('../../src/dataplane/native'))}).loadAddon()`],
        {
          env: { ...process.env, VHOST_FAILOVER_ADDON: addon },
          encoding: 'utf8',
        },
      );
    const refused = load(copy);
    assert.notEqual(refused.status, 0);
    assert.match(
      refused.stderr,
      /refusing to load .*vhost_failover\.node as the data plane: its mode 777 lets others write it/,
    );
    fs.chmodSync(copy, 0o755);
    assert.equal(load(copy).status, 0, load(copy).stderr);
  });
});
