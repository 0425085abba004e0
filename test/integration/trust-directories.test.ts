// Directories the daemon uses for sockets are taken only if no one but root or the daemon's user
// can change what is in them (src/host/socket-directory.ts), checked on the open directory: one
// another user owns, a symlink, or one its group may write without the sticky bit is refused,
// at start for the control socket and at add-group for a vhost socket, naming the directory.
import { strict as assert } from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { request } from '../../src/control/client';
import { DaemonProcess } from '../../lab/daemon-process';
import { Netns } from '../../lab/netns';
import { labConfig } from '../../lab/topology';
import { topologyPerTest } from '../support/lab';

const NOBODY = 65534;

describe('trust boundaries: socket directories (real DPDK)', function () {
  this.timeout(60000);
  const lab = topologyPerTest();

  it('refuses a vhost socket directory another user owns, a symlink, or one its group may write without the sticky bit; takes a sticky group directory', async function () {
    const t = await lab.start();
    const dir = (name: string, mode: number, uid = 0) => {
      const made = path.join(t.dir, name);
      fs.mkdirSync(made);
      fs.chmodSync(made, mode);
      fs.chownSync(made, uid, 0);
      return made;
    };
    const real = dir('real', 0o755);
    fs.symlinkSync(real, path.join(t.dir, 'link'));
    const cases = [
      {
        socketDir: dir('nobody', 0o755, NOBODY),
        refusal: /nobody is owned by uid 65534, not root or the daemon's user/,
      },
      { socketDir: path.join(t.dir, 'link'), refusal: /link is a symlink/ },
      {
        socketDir: dir('group-writable', 0o770),
        refusal: /group-writable is writable by its group without the sticky bit \(mode 0770\)/,
      },
      { socketDir: dir('others-writable', 0o1777), refusal: /others-writable is writable by others \(mode 01777\)/ },
    ];
    const config = (socketDir: string, mode: 'server' | 'client') => ({
      name: 'vm2',
      mac: '52:54:00:00:0f:02',
      vhost: { socket: path.join(socketDir, 'vm2.sock'), mode },
      primary: { devargs: `net_tap8,iface=vfq${t.primaryTap.slice(3)}` },
      standby: { devargs: `net_tap9,iface=vfr${t.primaryTap.slice(3)}` },
    });
    for (const { socketDir, refusal } of cases)
      for (const mode of ['server', 'client'] as const) {
        await assert.rejects(request(t.controlSocket, 'add-group', { config: config(socketDir, mode) }), refusal);
        assert.deepEqual(fs.readdirSync(socketDir), [], `nothing made in ${socketDir}`);
      }
    assert.deepEqual(fs.readdirSync(real), [], 'nothing made through the symlink');
    assert.deepEqual(await request(t.controlSocket, 'groups'), ['vm1']);
    // The directory the unit file describes for QEMU's client-mode sockets: group-writable, sticky.
    const sticky = dir('sticky', 0o1770);
    await request(t.controlSocket, 'add-group', { config: config(sticky, 'server') });
    assert.ok(fs.statSync(path.join(sticky, 'vm2.sock')).isSocket());
    await request(t.controlSocket, 'remove-group', { group: 'vm2' });
  });

  it('does not start with its control socket in a directory another user owns, naming it', async function () {
    const config = labConfig();
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-dirs-'));
    const foreign = path.dirname(config.control.socket);
    // In a namespace of its own: had it started, its taps would be born there.
    const netns = new Netns('vf-dirs');
    try {
      fs.chownSync(foreign, NOBODY, NOBODY);
      const daemon = DaemonProcess.launch(config, scratch, netns);
      const status = await daemon.exit();
      assert.notEqual(status, 0, daemon.log);
      assert.match(
        daemon.stderr,
        new RegExp(`${foreign} is owned by uid 65534, not root or the daemon's user; chown root`),
      );
      assert.ok(!fs.existsSync(config.control.socket), 'no control socket made');
    } finally {
      netns.dispose();
      fs.rmSync(scratch, { recursive: true, force: true });
      fs.rmSync(foreign, { recursive: true, force: true });
    }
  });
});
