// Who may change the daemon: root, the daemon's own user and the configured operators; anyone
// the socket file lets in may read.
import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { AccessPolicy, type Peer } from '../../src/control/access';
import { loadAddon } from '../../src/dataplane/native';
import { waitFor } from '../../lab/wait';

const peer = (uid: number, gid = uid, groups: number[] = []): Peer => ({ pid: 999999999, uid, gid, groups });

describe('control access', function () {
  it('lets everyone read and only root or the daemon user change by default', function () {
    const policy = new AccessPolicy({ users: [], groups: [] }, 1234);
    assert.ok(policy.allows(peer(65534), 'read'));
    assert.ok(!policy.allows(peer(65534), 'change'));
    assert.ok(policy.allows(peer(0), 'change'));
    assert.ok(policy.allows(peer(1234), 'change'));
    assert.ok(!policy.allows(undefined, 'change'), 'a peer the kernel could not name only reads');
  });

  it('lets operators named by uid, by name or by group change', function () {
    const policy = new AccessPolicy({ users: ['1001', 'nobody'], groups: ['4242'] }, 0);
    assert.ok(policy.allows(peer(1001), 'change'));
    assert.ok(policy.allows(peer(65534), 'change'), 'nobody resolves to its uid');
    assert.ok(policy.allows(peer(5000, 4242), 'change'));
    assert.ok(policy.allows(peer(5000, 5000, [100, 4242]), 'change'));
    assert.ok(!policy.allows(peer(5000, 5000), 'change'));
  });

  it('counts the supplementary groups the kernel recorded when the peer connected (SO_PEERGROUPS)', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-access-'));
    fs.chmodSync(dir, 0o777);
    const socketPath = path.join(dir, 'peer.sock');
    const addon = loadAddon();
    const seen = new Promise<Peer>((resolve) => {
      const server = net.createServer((socket) => {
        const fd = (socket as unknown as { _handle: { fd: number } })._handle.fd;
        resolve(addon.peerCredentials(fd));
        socket.destroy();
        server.close();
      });
      server.listen(socketPath, () => fs.chmodSync(socketPath, 0o777));
    });
    await waitFor('the socket', () => fs.existsSync(socketPath));
    // A client as uid 65534 with supplementary groups 4242 and 4343 (setpriv, from util-linux).
    const client = spawn(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--groups=4242,4343',
        '--',
        process.execPath,
        '-e',
        `require('net').connect(${JSON.stringify(socketPath)}).on('error', () => {}).on('close', () => process.exit(0))`,
      ],
      { stdio: 'ignore' },
    );
    try {
      const peer = await seen;
      assert.equal(peer.uid, 65534);
      assert.deepEqual([...peer.groups].sort(), [4242, 4343]);
      assert.ok(new AccessPolicy({ users: [], groups: ['4343'] }, 0).allows(peer, 'change'));
      assert.ok(!new AccessPolicy({ users: [], groups: ['4444'] }, 0).allows(peer, 'change'));
    } finally {
      client.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start with an operator name that does not exist', function () {
    assert.throws(
      () => new AccessPolicy({ users: ['no-such-user-here'], groups: [] }),
      /control.operators.users: no user "no-such-user-here"/,
    );
  });
});
