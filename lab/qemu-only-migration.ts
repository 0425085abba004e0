// A control for the migration soak (lab/migration-soak.ts): the same TCG guest, migrated back and
// forth the same way while pinged every 10 ms, but on QEMU's own virtio-net datapath (a tap QEMU
// makes in the lab's namespace, no vhost-user, no daemon). If its guest panics after a migration
// too, the fault is QEMU's under TCG and not the backend's.
//
//   node dist/lab/qemu-only-migration.js [COUNT]     (as root; after scripts/setup-lab)
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { QmpEvent } from '../src/guest/qmp-client';
import { qmp } from './migration';
import { Netns } from './netns';
import { Pinger } from './ping-gaps';
import { QemuVm } from './qemu-vm';
import { BRIDGE, BRIDGE_CIDR, GUEST_IP } from './topology';
import { waitFor } from './wait';

const MAC = '52:54:00:00:0f:01';

async function migrate(source: QemuVm, destination: QemuVm, uri: string): Promise<void> {
  const [from, to] = await Promise.all([qmp(source.qmpSocket), qmp(destination.qmpSocket)]);
  try {
    const events: QmpEvent[] = [];
    to.on('event', (event) => events.push(event));
    await from.execute('migrate', { uri });
    const done = await waitFor(
      'the migration to complete',
      async () => {
        const info = await from.execute<{ status: string }>('query-migrate');
        return ['completed', 'failed', 'cancelled'].includes(info.status) && info;
      },
      120000,
      50,
    );
    if (done.status !== 'completed') throw new Error(`migration ${done.status}`);
    await waitFor('the guest to run on the destination', () => events.some((e) => e.event === 'RESUME'), 30000);
    await from.execute('quit').catch(() => undefined);
  } finally {
    from.close();
    to.close();
  }
}

/** Whether 10 more pings are answered within 30 s; if not, says what the guest's console shows. */
async function answers(pinger: Pinger, from: number, vm: QemuVm, when: string): Promise<boolean> {
  const answered = await waitFor('pings', () => pinger.replies() >= from + 10, 30000).then(
    () => true,
    () => false,
  );
  if (answered) return true;
  const panic = /Kernel panic[^\n]*/.exec(vm.console())?.[0];
  console.log(`${when}: no pings answered for 30 s; guest console: ${panic ?? 'no panic'}`);
  console.log(vm.console().split('\n').slice(-40).join('\n'));
  process.exitCode = 1;
  return false;
}

async function main(count: number): Promise<void> {
  const netns = new Netns('vfq');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-qemu-only-'));
  let vm: QemuVm | undefined;
  let pinger: Pinger | undefined;
  try {
    netns.addBridge(BRIDGE, BRIDGE_CIDR);
    const options = (i: number) => {
      fs.mkdirSync(path.join(dir, `vm-${i}`), { recursive: true });
      const ifname = `qm${i % 2}`;
      return {
        dir: path.join(dir, `vm-${i}`),
        vhostSocket: '',
        mac: MAC,
        address: `${GUEST_IP}/24`,
        qemuTap: { netns: netns.name, ifname },
      };
    };
    const join = (ifname: string) => netns.ip('link', 'set', ifname, 'master', BRIDGE, 'up');
    vm = await QemuVm.start(options(0));
    join('qm0');
    for (let i = 1; i <= count; i++) {
      pinger = Pinger.start(netns.name, GUEST_IP);
      if (!(await answers(pinger, 0, vm!, `${i}/${count} before the migration`))) return;
      const uri = `unix:${path.join(dir, `vm-${i}`, 'migrate.sock')}`;
      const next = options(i);
      const destination = await QemuVm.startIncoming(next, uri);
      join(next.qemuTap.ifname);
      await migrate(vm, destination, uri);
      await vm.stop();
      vm = destination;
      const answered = await answers(pinger, pinger.replies(), vm, `${i}/${count} after the migration`);
      await pinger.abandon();
      pinger = undefined;
      if (!answered) return;
      console.log(`${i}/${count}: answered`);
    }
    console.log(`${count} migrations on QEMU's own datapath, no guest lost`);
  } finally {
    await pinger?.abandon().catch(() => undefined);
    await vm?.stop();
    netns.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) void main(Number(process.argv[2] ?? 200));
