// Planned detach and re-attach of the primary under traffic, on real devices: make before
// break, every frame accounted for, every mbuf returned.
import { strict as assert } from 'assert';
import { request } from '../../src/control/client';
import { BRIDGE, labConfig } from '../../scripts/lab/topology';
import { topologyPerTest } from '../support/lab';
import { waitFor } from '../../scripts/lab/wait';

describe('primary hot-plug (real DPDK)', function () {
  const lab = topologyPerTest();

  it('detaches the primary under traffic losing nothing, and fails back to a re-attached one', async function () {
    const topology = await lab.start(labConfig({ failover: { failbackDelayMs: 300 } }));
    const t = topology;
    const { netns, primaryTap, standbyTap, controlSocket } = t;
    await t.waitForActivePath('primary');
    await t.announcementsDone();
    const baseline = (await t.groupStats()).mbufsInUse;
    const announcedBefore = (await t.groupStats()).announcementsSent;
    const bridgeBefore = netns.counters(BRIDGE).rxPackets;
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

    await request(controlSocket, 'attach', { group: 'vm1', devargs: t.group.primary.devargs });
    await waitFor('the re-attached tap', () => netns.hasLink(primaryTap));
    netns.ip('link', 'set', primaryTap, 'master', BRIDGE);
    await t.waitForActivePath('primary', 10000);
    const primaryStart = netns.counters(primaryTap).rxPackets;
    await waitFor(
      'traffic on the new primary',
      () => netns.counters(primaryTap).rxPackets > primaryStart + 20000,
      10000,
    );

    await vm.command('stop');
    await t.trafficStopped();
    await t.announcementsDone();
    const stats = await t.groupStats();
    // The bridge also counts our own MAC announcements (broadcast RARPs).
    const announcements =
      stats.announcementsSent.primary +
      stats.announcementsSent.standby -
      announcedBefore.primary -
      announcedBefore.standby;
    const arrived = netns.counters(BRIDGE).rxPackets - bridgeBefore - announcements;
    const dropped = stats.txDroppedNoPath + stats.txDroppedFull.primary + stats.txDroppedFull.standby;
    console.log(
      `      guest sent ${stats.guestDequeued}, bridge got ${arrived}, dropped ${dropped} across detach + attach`,
    );
    assert.equal(dropped, 0);
    assert.equal(arrived, stats.guestDequeued, 'frames lost across the detach');
    await waitFor('mbufs back at the baseline', async () => (await t.groupStats()).mbufsInUse === baseline);
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
      request(controlSocket, 'attach', { group: 'vm1', devargs: `net_vhost_vm1,iface=${topology.dir}/x.sock` }),
      /already in use by this daemon/,
    );
    await assert.rejects(
      request(controlSocket, 'attach', { group: 'vm1', devargs: 'net_nosuchdriver0' }),
      /cannot probe device/,
    );
    assert.equal((await topology.groupStatus()).activePath, 'standby');
  });
});
