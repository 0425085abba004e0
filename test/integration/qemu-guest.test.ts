// A real VM: QEMU boots Linux with one virtio-net NIC on the daemon's vhost-user socket. The
// guest's own driver negotiates with the daemon and answers pings through it; the receive
// filter it sets through the control queue (a VLAN, a multicast group), which a vhost-user
// backend never sees, reaches both uplinks through QEMU's QMP.
import { strict as assert } from 'assert';
import { request } from '../../src/control/client';
import type { GroupStatusReply } from '../../src/control/protocol';
import { Capture } from '../../lab/capture';
import { BRIDGE, BRIDGE_CIDR, GUEST_IP, labConfig, type Topology } from '../../lab/topology';
import { waitFor } from '../../lab/wait';
import { runInNetns } from '../../lab/netns';
import { topologyPerTest } from '../support/lab';

const VLAN = 100;
const GROUP_ADDRESS = '01:00:5e:01:02:03';

async function status(t: Topology): Promise<GroupStatusReply> {
  const [reply] = (await request(t.controlSocket, 'status', { group: 'vm1' })) as GroupStatusReply[];
  return reply;
}

describe('QEMU guest (real DPDK, Linux virtio-net under TCG)', function () {
  this.timeout(240000);
  const lab = topologyPerTest();

  it("mirrors the guest's VLANs and multicast list from QMP onto both uplinks, and lets go when QEMU stops", async function () {
    const t = await lab.start(labConfig({ qmp: true }));
    const vm = await t.startQemuVm({ vlan: VLAN, multicast: GROUP_ADDRESS, hostMtu: 1400 });
    await vm.waitForConsole('GUEST-FILTERS-SET');
    const synced = await waitFor('the guest filter on the uplinks', async () => {
      const reply = await status(t);
      const filter = reply.guestRxFilter?.filter;
      return filter?.vlans.includes(VLAN) && filter.multicast.includes(GROUP_ADDRESS) && reply;
    });
    const sync = synced.guestRxFilter!;
    console.log(`      from QMP: multicast ${sync.filter.multicast.join(' ')}; VLANs ${sync.filter.vlans.join(' ')}`);
    assert.equal(sync.qmp, 'connected');
    assert.equal(sync.hostMtu, 1400, 'the MTU QEMU advertises to the guest');
    assert.equal(sync.filter.allMulticast, false);
    assert.equal(sync.filter.vlanFiltering, true);
    for (const path of ['primary', 'standby'] as const) {
      console.log(`      ${path}: multicast ${synced[path].rxFilter.multicast}; VLAN ${synced[path].rxFilter.vlan}`);
      // An own tap programs nothing (it passes all its kernel side sends); net_tap takes a
      // multicast list (it filters nothing) and has no VLAN filter: both say so.
      if (synced[path].kind === 'tap') {
        assert.deepEqual(synced[path].rxFilter, { multicast: 'all', vlan: 'all' });
        continue;
      }
      assert.equal(synced[path].rxFilter.multicast, `list of ${sync.filter.multicast.length}`);
      assert.match(synced[path].rxFilter.vlan, /unsupported by the driver; all pass/);
    }

    await t.qemu!.stop();
    const released = await waitFor('the uplinks to pass everything again', async () => {
      const reply = await status(t);
      return reply.guestRxFilter?.qmp === 'waiting' && reply.primary.rxFilter.multicast === 'all' && reply;
    });
    assert.equal(released.standby.rxFilter.multicast, 'all');
    assert.equal(released.guestRxFilter!.filter.allMulticast, true);
  });

  it('keeps a Linux guest answering pings through a pulled primary, completes the checksums it offloads, and learns its address', async function () {
    const t = await lab.start();
    const bridgeAddress = BRIDGE_CIDR.split('/')[0];
    // The guest opens TCP connections to the namespace; its kernel leaves their checksums to the
    // NIC (VIRTIO_NET_F_CSUM), so the frames are right on the wire only if we complete them.
    const vm = await t.startQemuVm({ tcpProbe: `${bridgeAddress}:9` });
    assert.equal(vm.features()[0], '1', `VIRTIO_NET_F_CSUM not negotiated: ${vm.features()}`);
    const { netns, primaryTap } = t;
    const capture = await Capture.start(netns.name, BRIDGE, 'tcp port 9', ['-vv']);
    try {
      const syn = await waitFor('a SYN from the guest', () =>
        capture.lines().find((line) => line.includes(`${GUEST_IP}.`) && line.includes('Flags [S]')),
      );
      console.log(`      the guest's SYN on the wire: ${/cksum 0x[0-9a-f]+ \([^)]*\)/.exec(syn)?.[0] ?? syn}`);
      assert.match(syn, /cksum 0x[0-9a-f]+ \(correct\)/);
      // The namespace's kernel, which drops a segment with a bad checksum, answers it.
      await waitFor('the reset from the namespace', () =>
        capture
          .lines()
          .some((line) => line.includes(`${bridgeAddress}.9 > ${GUEST_IP}.`) && line.includes('Flags [R.]')),
      );
    } finally {
      capture.stop();
    }

    const ping = runInNetns(netns.name, ['ping', '-c', '300', '-i', '0.01', '-W', '1', GUEST_IP]);
    await waitFor('pings through the primary', async () => (await t.groupStats()).txPackets.primary >= 50, 30000);
    netns.setLink(primaryTap, 'down');
    await t.waitForActivePath('standby');
    const summary = await ping;
    const match = /(\d+) packets transmitted, (\d+) received/.exec(summary);
    assert.ok(match, `ping summary missing:\n${summary}`);
    const lost = Number(match[1]) - Number(match[2]);
    console.log(`      pings to the Linux guest lost across the failover: ${lost} of ${match[1]}`);
    assert.ok((await t.groupStats()).txPackets.standby > 0, 'replies must leave on the standby');
    assert.ok(lost <= 5, `lost ${lost} pings`);
    // The guest answered the namespace's ARP: its address is known for GARPs.
    // Learned and announced: the guest's own address, never the gateway's it asks for.
    const learned = (await status(t)).guestIPv4;
    assert.ok(
      learned.some((entry) => entry.address === GUEST_IP && entry.announced),
      JSON.stringify(learned),
    );
  });
});
