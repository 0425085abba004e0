// A Daemon on the fake addon, one group (vm1) and its control socket, started afresh for each
// test of the enclosing describe: for the ops, tables and metrics the control plane makes.
import fs from 'fs';
import os from 'os';
import path from 'path';
import pino from 'pino';
import { validateConfig } from '../../src/config';
import { Daemon } from '../../src/daemon';
import { Dataplane } from '../../src/dataplane';
import { FakeAddon } from './fake-addon';

export interface FakeDaemon {
  daemon: Daemon;
  addon: FakeAddon;
  socket: string;
}

export function fakeDaemonPerTest(): FakeDaemon {
  const fixture = {} as FakeDaemon;
  let dir: string;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-unit-'));
    fixture.socket = path.join(dir, 'control.sock');
    fixture.addon = new FakeAddon();
    const config = validateConfig({
      control: { socket: fixture.socket },
      devices: { pciAddresses: ['0000:3b'] },
      groups: [
        {
          name: 'vm1',
          mac: '52:54:00:00:00:01',
          vhost: { socket: '/tmp/unused/vm1.sock', mode: 'client' },
          primary: { devargs: '0000:3b:02.1' },
          standby: { devargs: 'net_tap1,iface=sb-vm1' },
        },
      ],
    });
    fixture.daemon = new Daemon(config, pino({ level: 'silent' }), new Dataplane(fixture.addon));
    await fixture.daemon.start();
  });
  afterEach(async () => {
    await fixture.daemon.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return fixture;
}
