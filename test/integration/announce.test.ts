// MAC announcements on real devices: after a change of path the namespace's Linux bridge
// learns the guest's MAC on the new port from our RARP rounds, traffic from the network
// reaches the guest through the new path at once, and the guest's IPv4 address, learned from
// its ARP, is announced with a gratuitous ARP on the new path.
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import { request } from '../../src/control/client';
import type { GroupStatusReply } from '../../src/control/protocol';
import { sendArpRequest } from '../../lab/arp-request';
import { BRIDGE, BRIDGE_CIDR, GUEST_IP, labConfig } from '../../lab/topology';
import { topologyPerTest } from '../support/lab';
import { waitFor } from '../../lab/wait';
import { Capture } from '../../lab/capture';

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

  it('sends a gratuitous ARP on the new path for the address the guest claimed in its ARP', async function () {
    const t = await lab.start(labConfig({ failover: { failbackDelayMs: 0 } }));
    const { netns, standbyTap, controlSocket } = t;
    // testpmd's icmpecho answers the namespace's ARP request for GUEST_IP: the guest's own ARP.
    await t.startVm('icmpecho');
    netns.exec('ping', '-c', '3', '-i', '0.2', '-W', '2', GUEST_IP);
    const learned = await waitFor('the daemon to learn the guest address', async () => {
      const [status] = (await request(controlSocket, 'status', { group: 'vm1' })) as GroupStatusReply[];
      return status.guestIPv4.find((entry) => entry.address === GUEST_IP);
    });
    assert.equal(learned.vlan, 0);
    assert.ok(learned.announced);

    // A GARP is a request whose sender and target address are both the guest's.
    const capture = await Capture.start(netns.name, standbyTap, 'arp and arp[6:2] == 1 and arp[14:4] == arp[24:4]');
    try {
      await request(controlSocket, 'switch', { group: 'vm1', to: 'standby' });
      const line = await waitFor('a GARP on the standby', () => capture.lines()[0], 5000);
      console.log(`      on the standby's wire: ${line.replace(/^\S+ /, '')}`);
      assert.ok(line.includes(`${t.group.mac} > ff:ff:ff:ff:ff:ff`), `from the guest's MAC to broadcast: ${line}`);
      assert.ok(line.includes(`Request who-has ${GUEST_IP} tell ${GUEST_IP}`), line);
    } finally {
      capture.stop();
    }
    assert.ok((await t.groupStats()).garpsSent.standby >= 1);
  });

  it("repeats no gratuitous ARP for an address another station claims: a guest answering for the gateway's", async function () {
    const t = await lab.start(labConfig({ failover: { failbackDelayMs: 0 } }));
    const { netns, standbyTap, controlSocket } = t;
    const gateway = BRIDGE_CIDR.split('/')[0];
    // testpmd's icmpecho answers every ARP request, whatever its target, as a poisoning guest would.
    await t.startVm('icmpecho');
    // The gateway (the namespace's bridge) asks for the guest: its own claim, seen on the uplinks.
    netns.exec('ping', '-c', '3', '-i', '0.2', '-W', '2', GUEST_IP);
    // A host of the segment asks who has the gateway; the guest answers that it has.
    sendArpRequest(netns, BRIDGE, { mac: '02:00:00:00:00:c8', address: '198.18.0.200' }, gateway);
    const addresses = async () =>
      ((await request(controlSocket, 'status', { group: 'vm1' })) as GroupStatusReply[])[0].guestIPv4;
    const claimed = await waitFor('the guest to claim the gateway', async () =>
      (await addresses()).find((entry) => entry.address === gateway),
    );
    assert.equal(claimed.announced, false, 'the gateway is not announced');
    assert.equal((await addresses()).find((entry) => entry.address === GUEST_IP)?.announced, true);

    const capture = await Capture.start(netns.name, standbyTap, 'arp and arp[6:2] == 1 and arp[14:4] == arp[24:4]');
    try {
      await request(controlSocket, 'switch', { group: 'vm1', to: 'standby' });
      // Two rounds for the guest's own address: every round's frames are out by then.
      await waitFor('two GARPs for the guest on the standby', () => capture.lines().length >= 2, 10000);
      const lines = capture.lines();
      console.log(
        `      on the standby's wire: ${lines.length} GARPs, ${lines.filter((l) => l.includes(gateway)).length} for the gateway`,
      );
      assert.ok(
        lines.every((line) => line.includes(`who-has ${GUEST_IP} tell ${GUEST_IP}`)),
        lines.join('\n'),
      );
    } finally {
      capture.stop();
    }
  });
});
