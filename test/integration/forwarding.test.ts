// The forwarding core on real devices: a testpmd VM on the vhost-user socket, net_tap uplinks
// whose kernel sides sit on a bridge in a namespace the test owns. Pulling a cable is
// `ip link set <tap> down` on the kernel side.
import { strict as assert } from 'assert';
import fs from 'fs';
import { spawnSync } from 'child_process';
import { validateConfig } from '../../src/config';
import { BRIDGE, GUEST_IP, labConfig } from '../../lab/topology';
import { topologyPerTest } from '../support/lab';
import { measureFailoverLoss } from '../../lab/failover-loss';
import { waitFor, waitForRise } from '../../lab/wait';
import { runInNetns } from '../../lab/netns';

describe('forwarding core (real DPDK, testpmd VM, net_tap uplinks)', function () {
  const lab = topologyPerTest();

  it('sends guest traffic on the primary, fails over to the standby, drops and counts with no path, fails back', async function () {
    const topology = await lab.start();
    const { netns, primaryTap, standbyTap } = topology;
    await topology.waitForActivePath('primary');
    const baseline = (await topology.groupStats()).mbufsInUse;
    const vm = await topology.startSender();

    await waitForRise('frames on the primary tap', () => netns.counters(primaryTap).rxPackets);
    const standbyBefore = netns.counters(standbyTap).rxPackets;
    await waitForRise('frames reaching the bridge', () => netns.counters(BRIDGE).rxPackets);
    assert.equal(netns.counters(standbyTap).rxPackets, standbyBefore, 'nothing may leave on the standby');

    netns.setLink(primaryTap, 'down');
    await topology.waitForActivePath('standby');
    await waitForRise('frames on the standby tap', () => netns.counters(standbyTap).rxPackets);
    await waitForRise('frames reaching the bridge after failover', () => netns.counters(BRIDGE).rxPackets);

    netns.setLink(standbyTap, 'down');
    await topology.waitForActivePath('none');
    await waitForRise('txDroppedNoPath', async () => (await topology.groupStats()).txDroppedNoPath);

    netns.setLink(standbyTap, 'up');
    netns.setLink(primaryTap, 'up');
    await topology.waitForActivePath('primary');
    await waitForRise('frames on the primary tap after failback', () => netns.counters(primaryTap).rxPackets);
    await vm.command('stop');
    await waitFor('mbufs back at the baseline', async () => (await topology.groupStats()).mbufsInUse === baseline);
  });

  it('delivers frames from both uplinks to the guest with rx: both, and returns every mbuf', async function () {
    const topology = await lab.start(labConfig({ rx: 'both' }));
    const vm = await topology.startVm('rxonly');
    const baseline = (await topology.groupStats()).mbufsInUse;
    const { netns } = topology;
    // With learning off and the announcements' entries flushed, the bridge does not know where
    // the guest is and floods each ping out of both taps.
    for (const tap of [topology.primaryTap, topology.standbyTap])
      netns.ip('link', 'set', 'dev', tap, 'type', 'bridge_slave', 'learning', 'off', 'fdb_flush');
    netns.ip('neigh', 'replace', GUEST_IP, 'lladdr', vm.options.mac, 'dev', BRIDGE, 'nud', 'permanent');
    spawnSync('ip', ['netns', 'exec', netns.name, 'ping', '-c', '200', '-i', '0.002', '-W', '0.1', GUEST_IP]);

    const stats = await topology.groupStats();
    assert.ok(stats.rxPackets.primary >= 200, `primary delivered ${stats.rxPackets.primary}`);
    assert.ok(stats.rxPackets.standby >= 200, `standby delivered ${stats.rxPackets.standby}`);
    await waitFor('the guest to count both copies', async () => (await vm.counters()).rxPackets >= 400);
    await waitFor('mbufs back at the baseline', async () => (await topology.groupStats()).mbufsInUse === baseline);
  });

  it('keeps a ping to an icmpecho guest answering through a pulled primary', async function () {
    const topology = await lab.start();
    await topology.startVm('icmpecho');
    const { netns, primaryTap } = topology;
    const ping = runInNetns(netns.name, ['ping', '-c', '300', '-i', '0.01', '-W', '1', GUEST_IP]);
    await waitFor('pings through the primary', async () => (await topology.groupStats()).txPackets.primary >= 50);
    netns.setLink(primaryTap, 'down');
    await topology.waitForActivePath('standby');
    const summary = await ping;
    const match = /(\d+) packets transmitted, (\d+) received/.exec(summary);
    assert.ok(match, `ping summary missing:\n${summary}`);
    const lost = Number(match[1]) - Number(match[2]);
    console.log(`      pings lost across the failover: ${lost} of ${match[1]}`);
    assert.ok((await topology.groupStats()).txPackets.standby > 0, 'replies must leave on the standby');
    assert.ok(lost <= 5, `lost ${lost} pings`);
  });

  it('stops cleanly on SIGTERM: exit 0, sockets removed, no hugepage files', async function () {
    const topology = await lab.start();
    await topology.startVm('rxonly');
    await topology.vm!.stop();
    const code = await topology.daemon!.stop();
    assert.equal(code, 0, topology.daemon!.log);
    assert.ok(!fs.existsSync(topology.vhostSocket), 'vhost-user socket left behind');
    assert.ok(!fs.existsSync(topology.controlSocket), 'control socket left behind');
    assert.deepEqual(topology.hugepageFiles(), []);
  });
});

describe('failover accounting (real DPDK)', function () {
  it('loses no guest frame across a pulled primary, and measures the switch gap', async function () {
    const { ratePps, books, gapUs } = await measureFailoverLoss(100);
    console.log(
      `      at ${ratePps} pps: guest sent ${books.sent}, bridge got ${books.arrived}, ${books.dropped} dropped and ` +
        `counted, ${books.lostSilently} lost silently, ${gapUs} us from the last frame on the primary to the first on the standby`,
    );
    assert.ok(books.arrived > 20000, `only ${books.arrived} frames arrived`);
    assert.ok(books.onUplink.standby > 0, 'the standby must have carried traffic');
    assert.equal(books.dropped, 0, 'a pulled tap is seen on the refused write: nothing to drop');
    assert.equal(books.lostSilently, 0);
    assert.ok(gapUs > 0, 'the daemon must report the switch gap');
  });
});

describe('vhost-user connection life (real DPDK)', function () {
  const lab = topologyPerTest();

  it('survives the guest going away and serves the next one (server mode)', async function () {
    const topology = await lab.start();
    await topology.startVm('rxonly');
    await topology.vm!.stop();
    await waitFor('the daemon to see the guest leave', async () => !(await topology.groupStatus()).guestConnected);
    const vm = await topology.startSender();
    await waitForRise(
      'frames from the second guest on the primary',
      () => topology.netns.counters(topology.primaryTap).rxPackets,
    );
    await vm.command('stop');
  });

  it('connects to a guest that is the vhost-user server, and reconnects after it restarts (client mode)', async function () {
    const base = labConfig();
    const config = validateConfig({
      ...base,
      groups: [{ ...base.groups[0], vhost: { socket: base.groups[0].vhost.socket, mode: 'client' } }],
    });
    const topology = await lab.start(config);
    const serverVm = { vhostServer: true };
    await topology.startVm('rxonly', serverVm);
    await topology.vm!.stop();
    await waitFor('the daemon to see the guest leave', async () => !(await topology.groupStatus()).guestConnected);
    await topology.startVm('rxonly', serverVm);
  });
});
