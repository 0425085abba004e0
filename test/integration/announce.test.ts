// MAC announcements on real devices: after a change of path the namespace's Linux bridge
// learns the guest's MAC on the new port from our RARP rounds, and traffic from the network
// reaches the guest through the new path at once.
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import { request } from '../../src/control/client';
import { BRIDGE, GUEST_IP, labConfig } from '../../scripts/lab/topology';
import { topologyPerTest } from '../support/lab';
import { waitFor } from '../../scripts/lab/wait';

describe('MAC announcements (real DPDK, Linux bridge)', function () {
  const lab = topologyPerTest();

  it('makes the bridge relearn the guest on the new port within the first rounds, and traffic follows', async function () {
    const topology = await lab.start(labConfig({ failover: { failbackDelayMs: 0 } }));
    const t = topology;
    const { netns, primaryTap, standbyTap, controlSocket } = t;
    const mac = t.group.mac;
    // An rxonly guest sends nothing itself: whatever the bridge learns came from announcements.
    const vm = await t.startVm('rxonly');
    await waitFor('the bridge to learn the guest on the primary', () => netns.learnedPort(BRIDGE, mac) === primaryTap);

    const before = (await t.groupStats()).announcementsSent.standby;
    await request(controlSocket, 'switch', { group: 'vm1', to: 'standby' });
    await waitFor(
      'the bridge to learn the guest on the standby',
      () => netns.learnedPort(BRIDGE, mac) === standbyTap,
      5000,
      5,
    );
    const rounds = (await t.groupStats()).announcementsSent.standby - before;
    console.log(`      bridge relearned the guest on the standby after ${rounds} announcement round(s)`);
    assert.ok(rounds >= 1 && rounds < t.config.announce.rounds, `relearned after ${rounds} rounds`);

    // The later rounds' broadcasts come back through the primary (the bridge floods them): let
    // them finish before counting what the bridge sends where.
    await waitFor(
      'all rounds sent',
      async () => (await t.groupStats()).announcementsSent.standby - before === t.config.announce.rounds,
    );
    netns.ip('neigh', 'replace', GUEST_IP, 'lladdr', mac, 'dev', BRIDGE, 'nud', 'permanent');
    const rxBefore = (await t.groupStats()).rxPackets;
    spawnSync('ip', ['netns', 'exec', netns.name, 'ping', '-c', '50', '-i', '0.002', '-W', '0.1', GUEST_IP]);
    const rxAfter = (await t.groupStats()).rxPackets;
    assert.ok(rxAfter.standby - rxBefore.standby >= 50, 'pings must arrive on the standby');
    assert.equal(rxAfter.primary - rxBefore.primary, 0, 'the bridge must no longer send to the primary');
    await waitFor('the guest to count the pings', async () => (await vm.counters()).rxPackets >= 50);
  });
});
