// Several VMs in one daemon: a group added and removed at runtime while another keeps
// forwarding, on real devices.
import { strict as assert } from 'assert';
import path from 'path';
import { request } from '../../src/control/client';
import { Topology } from '../../lab/topology';
import { startVm, type TestpmdVm } from '../../lab/testpmd-vm';
import { openLedger } from '../../lab/ledger';
import { waitFor } from '../../lab/wait';

describe('groups at runtime (real DPDK)', function () {
  let topology: Topology | undefined;
  let secondVm: TestpmdVm | undefined;

  afterEach(async function () {
    await secondVm?.stop();
    await topology?.stop();
    secondVm = topology = undefined;
  });

  it('adds and removes a group without disturbing the other group', async function () {
    topology = await Topology.start();
    const t = topology;
    const ledger = await openLedger(t);
    const vm1 = await t.startSender();
    const vm1Sent = async () => (await t.groupStats()).txPackets.primary;
    const keepsRising = async (when: string) => {
      const before = await vm1Sent();
      await waitFor(`vm1 traffic to keep flowing ${when}`, async () => (await vm1Sent()) > before + 1000, 10000);
    };
    await keepsRising('before the change');

    const suffix = t.primaryTap.slice(3);
    const vm2 = {
      name: 'vm2',
      mac: '52:54:00:00:0f:02',
      vhost: { socket: path.join(t.dir, 'vm2.sock') },
      primary: { devargs: `net_tap2,iface=vfq${suffix}` },
      standby: { devargs: `net_tap3,iface=vfr${suffix}` },
    };
    await request(t.controlSocket, 'add-group', { config: vm2 });
    await keepsRising('while vm2 is added');
    assert.deepEqual(await request(t.controlSocket, 'groups'), ['vm1', 'vm2']);

    secondVm = await startVm({
      socket: vm2.vhost.socket,
      mac: vm2.mac,
      filePrefix: `${t.filePrefix}-vm2`,
      mode: 'txonly',
      txIp: ['198.18.0.3', '198.18.0.99'],
    });
    await waitFor('vm2 traffic on its own primary tap', () => t.netns.counters(`vfq${suffix}`).rxPackets > 1000, 10000);
    await secondVm.stop();
    secondVm = undefined;

    await request(t.controlSocket, 'remove-group', { group: 'vm2' });
    await keepsRising('after vm2 is removed');
    assert.deepEqual(await request(t.controlSocket, 'groups'), ['vm1']);
    assert.ok(!t.netns.hasLink(`vfq${suffix}`), "the removed group's tap must be gone");
    await vm1.command('stop');
    await ledger.close("vm2's life next to it");
  });
});
