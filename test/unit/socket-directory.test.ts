// Socket directories and socket files: the rules on an open directory, and a socket born with its
// mode (no chmod after bind).
import { strict as assert } from 'assert';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { listenWithMode } from '../../src/control/socket-file';
import { ensureSocketDirectory, socketDirectoryRefusal } from '../../src/host/socket-directory';

describe('socket directories', function () {
  let scratch: string;
  beforeEach(() => (scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-sockdir-'))));
  afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

  // What fstat would say of a directory with this mode and owner.
  const statWith = (mode: number, uid = process.geteuid!()) =>
    ({ uid, mode: fs.constants.S_IFDIR | mode, isDirectory: () => true }) as fs.Stats;

  it('takes 0755, 0700 and a sticky group-writable 1770; refuses group-writable, others-writable, foreign', function () {
    const uid = process.geteuid!();
    for (const mode of [0o755, 0o700, 0o1770])
      assert.equal(socketDirectoryRefusal('d', statWith(mode), uid), undefined);
    assert.match(socketDirectoryRefusal('d', statWith(0o770), uid)!, /group without the sticky bit \(mode 0770\)/);
    assert.match(socketDirectoryRefusal('d', statWith(0o1777), uid)!, /writable by others \(mode 01777\)/);
    assert.match(socketDirectoryRefusal('d', statWith(0o755, 4242), uid)!, /owned by uid 4242/);
  });

  it('makes a missing directory 0755, and refuses a symlink to a good one', function () {
    const made = path.join(scratch, 'a', 'b');
    ensureSocketDirectory(made);
    assert.equal(fs.statSync(made).mode & 0o7777, 0o755 & ~process.umask());
    fs.symlinkSync(made, path.join(scratch, 'link'));
    assert.throws(() => ensureSocketDirectory(path.join(scratch, 'link')), /link is a symlink/);
  });

  it('binds a socket file with its mode from birth, and leaves the umask as it was', async function () {
    const umask = process.umask();
    for (const mode of [0o600, 0o660, 0o666]) {
      const socketPath = path.join(scratch, `s${mode.toString(8)}.sock`);
      const server = net.createServer();
      await listenWithMode(server, socketPath, mode);
      assert.equal(fs.statSync(socketPath).mode & 0o777, mode);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    assert.equal(process.umask(), umask);
  });
});
