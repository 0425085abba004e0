// Planned detach, surprise removal and re-attach of the primary under traffic, on real devices:
// make before break, every frame accounted for, every mbuf returned.
import { strict as assert } from 'assert';
import { request } from '../../src/control/client';
import { BRIDGE, labConfig, type Topology } from '../../lab/topology';
import { topologyPerTest } from '../support/lab';
import { openLedger } from '../../lab/ledger';
import { waitFor } from '../../lab/wait';

describe('primary hot-plug (real DPDK)', function () {
  const lab = topologyPerTest();

  it('detaches the primary under traffic losing nothing, and fails back to a re-attached one', async function () {
    const t = await lab.start(labConfig({ failover: { failbackDelayMs: 300 } }));
    const { netns, primaryTap, standbyTap, controlSocket } = t;
    const ledger = await openLedger(t);
    const vm = await t.startSender();
    await waitFor('traffic on the primary', () => netns.counters(primaryTap).rxPackets > 20000, 10000);

    const reply = (await request(controlSocket, 'detach', { group: 'vm1' })) as { txDrain: string };
    // A tap has no tx ring to wait for; a NIC reports 'drained' (or 'timed-out' after 100 ms).
    assert.equal(reply.txDrain, 'not-reported');
    const detached = await t.groupStatus();
    assert.equal(detached.activePath, 'standby');
    assert.equal(detached.primary.present, false);
    assert.ok(!netns.hasLink(primaryTap), 'the detached tap must be gone');
    const standbyStart = netns.counters(standbyTap).rxPackets;
    await waitFor('traffic on the standby', () => netns.counters(standbyTap).rxPackets > standbyStart + 20000, 10000);

    await reattachAndFailBack(t);
    await vm.command('stop');
    await ledger.close('detach + attach');
  });

  it('survives a surprise removal (RMV) under traffic: standby at once, port closed off the callback, the primary back by itself, nothing lost', async function () {
    const t = await lab.start(labConfig({ faultInjection: true, failover: { failbackDelayMs: 300 } }));
    const { netns, primaryTap, standbyTap, controlSocket } = t;
    const ledger = await openLedger(t);
    const vm = await t.startSender();
    await waitFor('traffic on the primary', () => netns.counters(primaryTap).rxPackets > 20000, 10000);

    // The removal callback runs on the EAL interrupt thread, as a VF's would; the daemon then
    // closes and unplugs the port from the Node thread (here: the tap interface disappears).
    await request(controlSocket, 'inject-removal', { group: 'vm1' });
    await waitFor('the removed primary to be closed', async () => {
      const status = await t.groupStatus();
      return status.primary.portId === 65535 && !netns.hasLink(primaryTap) && status;
    });
    const status = await t.groupStatus();
    assert.equal(status.activePath, 'standby');
    assert.match(status.lastSwitch?.reason ?? '', /primary device removed/);
    assert.equal((await t.groupStats()).switches.removed, 1);
    const standbyStart = netns.counters(standbyTap).rxPackets;
    await waitFor('traffic on the standby', () => netns.counters(standbyTap).rxPackets > standbyStart + 20000, 10000);

    // A VF that vanished usually comes back at its address: the daemon keeps trying it, and takes
    // it (here the tap is simply made again), puts it in its bridge, and fails back.
    await t.waitForActivePath('primary', 10000);
    assert.equal((await t.groupStatus()).bridges.primary, BRIDGE);
    await t.daemon!.waitForLog(/primary not there: running on the standby, trying it again/, 5000);
    await t.daemon!.waitForLog(/"by":"retry".*"msg":"primary attached"/, 5000);
    const primaryStart = netns.counters(primaryTap).rxPackets;
    await waitFor(
      'traffic on the primary again',
      () => netns.counters(primaryTap).rxPackets > primaryStart + 20000,
      10000,
    );
    await vm.command('stop');
    await ledger.close('surprise removal and the primary back');
  });

  it('refuses to attach a second primary and to detach a missing one, naming the fix', async function () {
    const topology = await lab.start();
    const { controlSocket } = topology;
    await assert.rejects(
      request(controlSocket, 'attach', { group: 'vm1', devargs: 'net_tap7,iface=x7' }),
      /already has a primary.*detach it first/,
    );
    await request(controlSocket, 'detach', { group: 'vm1' });
    await assert.rejects(request(controlSocket, 'detach', { group: 'vm1' }), /has no primary to detach/);
    await assert.rejects(
      request(controlSocket, 'inject-removal', { group: 'vm1' }),
      /fault injection is off; set control.faultInjection: true/,
    );
    await assert.rejects(
      request(controlSocket, 'attach', { group: 'vm1', devargs: `net_vhost_vm1,iface=${topology.dir}/x.sock` }),
      /a vhost-user port cannot be an uplink/,
    );
    await assert.rejects(
      request(controlSocket, 'attach', { group: 'vm1', devargs: 'net_nosuchdriver0' }),
      /not a device this daemon runs as an uplink/,
    );
    await assert.rejects(
      request(controlSocket, 'attach', { group: 'vm1', devargs: `net_tap7,iface=${topology.standbyTap}` }),
      /\(interface "vfs\d+"\) is already used by groups\[0\]\.primary\.devargs; primary and standby must be different devices/,
    );
    assert.equal((await topology.groupStatus()).activePath, 'standby');
  });
});

/** Attaches the lab's primary again (the daemon puts its tap into the bridge), waits for traffic on it. */
async function reattachAndFailBack(t: Topology): Promise<void> {
  const { netns, primaryTap, controlSocket } = t;
  await request(controlSocket, 'attach', { group: 'vm1', devargs: t.group.primary.devargs });
  await waitFor('the re-attached tap', () => netns.hasLink(primaryTap));
  await t.waitForActivePath('primary', 10000);
  const primaryStart = netns.counters(primaryTap).rxPackets;
  await waitFor('traffic on the new primary', () => netns.counters(primaryTap).rxPackets > primaryStart + 20000, 10000);
}
