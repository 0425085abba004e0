// Who may change the daemon: root, the daemon's own user and the configured operators; anyone
// the socket file lets in may read.
import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import fs from 'fs';
import { AccessPolicy } from '../../src/control/access';
import { waitFor } from '../../lab/wait';

const peer = (uid: number, gid = uid) => ({ pid: 999999999, uid, gid });

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
    assert.ok(!policy.allows(peer(5000, 5000), 'change'));
  });

  it('counts the supplementary groups of a live peer', async function () {
    // A process whose supplementary groups are 4242 and 4343 (setpriv, from util-linux).
    const child = spawn('setpriv', ['--groups', '4242,4343', '--', 'sleep', '30'], { stdio: 'ignore' });
    try {
      await waitFor('the child to take its groups', () =>
        /^Groups:\s*4242 4343/m.test(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8')),
      );
      const policy = new AccessPolicy({ users: [], groups: ['4343'] }, 0);
      assert.ok(policy.allows({ pid: child.pid!, uid: 5000, gid: 5000 }, 'change'));
      assert.ok(
        !new AccessPolicy({ users: [], groups: ['4444'] }, 0).allows(
          { pid: child.pid!, uid: 5000, gid: 5000 },
          'change',
        ),
      );
    } finally {
      child.kill();
    }
  });

  it('refuses to start with an operator name that does not exist', function () {
    assert.throws(
      () => new AccessPolicy({ users: ['no-such-user-here'], groups: [] }),
      /control.operators.users: no user "no-such-user-here"/,
    );
  });
});
