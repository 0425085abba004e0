import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { loadConfigFile } from '../../src/config';
import { MAX_TRUSTED_FILE_BYTES, readTrustedFile } from '../../src/config/trusted-file';

const CONFIG = JSON.stringify({
  groups: [
    {
      name: 'vm1',
      mac: '52:54:00:00:00:01',
      vhost: { socket: '/run/vf/vm1.sock' },
      primary: { devargs: '0000:3b:02.1' },
      standby: { devargs: 'net_tap1,iface=sb-vm1' },
    },
  ],
});

describe('config file owner and mode (StrictModes)', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-trusted-'));
    file = path.join(dir, 'config.json');
    fs.writeFileSync(file, CONFIG, { mode: 0o644 });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a file root owns and only root may write, under /tmp (sticky, root-owned)', () => {
    assert.equal(loadConfigFile(file).groups[0].name, 'vm1');
  });

  it('refuses a file its group or others may write, naming the file and the fix', () => {
    for (const mode of [0o666, 0o664, 0o646]) {
      fs.chmodSync(file, mode);
      assert.throws(
        () => loadConfigFile(file),
        new RegExp(
          `^ConfigError: cannot use configuration ${file}: root or the daemon's user alone may be able to change it: ` +
            `${file} is writable by its group or others \\(mode 0${mode.toString(8)}\\); chmod go-w ${file}$`,
        ),
      );
    }
  });

  it("refuses a file another user owns; the daemon's own user may own it", () => {
    fs.chownSync(file, 1234, 1234);
    assert.throws(() => loadConfigFile(file), /is owned by uid 1234, not root; chown root /);
    assert.equal(readTrustedFile(file, 1234), CONFIG);
    assert.throws(() => readTrustedFile(file, 1000), /not root or uid 1000 \(the daemon's user\)/);
  });

  it('refuses a directory above it that others may write without the sticky bit, or that another user owns', () => {
    fs.chmodSync(dir, 0o777);
    assert.throws(
      () => loadConfigFile(file),
      new RegExp(`its directory ${dir} is writable by its group or others \\(mode 0777\\); chmod go-w ${dir}`),
    );
    fs.chmodSync(dir, 0o1777);
    fs.chownSync(dir, 1234, 1234);
    assert.throws(
      () => loadConfigFile(file),
      new RegExp(`its directory ${dir} is owned by uid 1234`),
      "sticky, but not root's",
    );
  });

  it('checks the real path of a symlink: a trusted link to a file in an open directory is refused', () => {
    const open = path.join(dir, 'open');
    fs.mkdirSync(open, { mode: 0o777 });
    fs.chmodSync(open, 0o777);
    fs.renameSync(file, path.join(open, 'config.json'));
    fs.symlinkSync(path.join(open, 'config.json'), file);
    assert.throws(() => loadConfigFile(file), new RegExp(`its directory ${open} is writable`));
  });

  it('refuses what is not a regular file, a FIFO without waiting for a writer, and a file too large to be a config', () => {
    assert.throws(() => readTrustedFile(dir), /is not a regular file/);
    const fifo = path.join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    assert.throws(() => loadConfigFile(fifo), /fifo\.json is not a regular file/);
    fs.writeFileSync(file, ' '.repeat(MAX_TRUSTED_FILE_BYTES + 1));
    assert.throws(() => loadConfigFile(file), /bytes, more than a config file's 1048576/);
  });
});
