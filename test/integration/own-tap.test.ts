// The daemon's own tap uplinks (tap:NAME): no DPDK port, the worker reads and writes the tap's
// queue fds itself. Both paths are own taps here (the default lab has a net_tap primary beside an
// own-tap standby): the daemon makes them, forwards and counts both ways, fails over when the
// kernel side of the primary goes down, and the kernel removes them when the daemon closes them.
import { strict as assert } from 'assert';
import { request } from '../../src/control/client';
import { GUEST_IP, labConfig, type Topology } from '../../lab/topology';
import { runInNetns } from '../../lab/netns';
import { waitFor } from '../../lab/wait';
import { topologyPerTest } from '../support/lab';

function metricsPort(): number {
  return 20000 + ((process.pid + 11) % 20000);
}

/** A port counter of the group's uplink, as the daemon exports it (the tap's own, here). */
function portCounter(topology: Topology, port: number, metric: string, path: 'primary' | 'standby'): number {
  const text = topology.netns.exec('curl', '-sf', `http://127.0.0.1:${port}/metrics`);
  const line = new RegExp(`^vhost_failover_port_${metric}_total\\{group="vm1",port="${path}"\\} (\\d+)$`, 'm');
  return Number(line.exec(text)?.[1] ?? NaN);
}

describe('own tap uplinks (real DPDK, testpmd VM, tap:NAME on both paths)', function () {
  const lab = topologyPerTest();

  it('makes its taps, forwards and counts both ways, fails over on the kernel side going down, removes its taps', async function () {
    const port = metricsPort();
    const topology = await lab.start(labConfig({ primaryTap: 'own', standbyTap: 'own', metricsPort: port }));
    const { netns, primaryTap, standbyTap } = topology;
    assert.ok(netns.hasLink(primaryTap) && netns.hasLink(standbyTap), 'the daemon made both taps');
    const status = await topology.groupStatus();
    assert.deepEqual([status.primary.kind, status.standby.kind], ['tap', 'tap']);
    assert.deepEqual([status.primary.portId, status.standby.portId], [65535, 65535], 'no DPDK port for a tap');
    await topology.waitForActivePath('primary');
    await topology.startVm('icmpecho');
    await topology.announcementsDone();

    // Both ways through the primary tap: the pings in (the tap's reads), the replies out (its writes).
    const answered = await runInNetns(netns.name, ['ping', '-c', '100', '-i', '0.01', '-W', '1', GUEST_IP]);
    assert.match(answered, / 0% packet loss/, answered);
    const stats = await topology.groupStats();
    assert.ok(stats.rxPackets.primary >= 100, `delivered to the guest: ${stats.rxPackets.primary}`);
    assert.ok(stats.txPackets.primary >= 100, `sent on the primary: ${stats.txPackets.primary}`);
    await waitFor('the tap counts what it read and wrote', () => {
      const read = portCounter(topology, port, 'rx_packets', 'primary');
      const written = portCounter(topology, port, 'tx_packets', 'primary');
      return read >= stats.rxPackets.primary && written >= stats.txPackets.primary;
    });
    assert.ok(netns.counters(primaryTap).rxPackets >= 100, 'the kernel side took the replies');
    assert.equal(portCounter(topology, port, 'tx_errors', 'primary'), 0, 'no frame dropped by the kernel');

    // The kernel side of the primary goes down under a ping flow: the next write fails (EIO), the
    // worker reads the link and the standby takes the burst.
    const ping = runInNetns(netns.name, ['ping', '-c', '300', '-i', '0.01', '-W', '1', GUEST_IP]);
    await waitFor('pings through the primary', async () => (await topology.groupStats()).txPackets.primary >= 150);
    const pulledAt = process.hrtime.bigint();
    netns.setLink(primaryTap, 'down');
    await topology.waitForActivePath('standby', 500);
    const { lastSwitch } = await topology.groupStatus();
    console.log(
      `      own tap primary pulled under pings: standby ${(Number(BigInt(lastSwitch!.activeSinceNs) - pulledAt) / 1000).toFixed(0)} us after \`ip link set down\` started (${lastSwitch!.reason})`,
    );
    const summary = await ping;
    const match = /(\d+) packets transmitted, (\d+) received/.exec(summary);
    assert.ok(match, `ping summary missing:\n${summary}`);
    const lost = Number(match[1]) - Number(match[2]);
    console.log(`      pings lost across the own-tap failover: ${lost} of ${match[1]}`);
    assert.ok(lost <= 5, `lost ${lost} pings`);
    assert.ok((await topology.groupStats()).txPackets.standby > 0, 'replies must leave on the standby');

    netns.setLink(primaryTap, 'up');
    await topology.waitForActivePath('primary');

    // The taps are the daemon's: closing them (the group removed) removes them.
    await request(topology.controlSocket, 'remove-group', { group: 'vm1' });
    assert.ok(!netns.hasLink(primaryTap) && !netns.hasLink(standbyTap), 'the kernel removed both taps');
  });

  it('refuses hostile tap names and an interface that exists, naming the rule', async function () {
    const topology = await lab.start();
    const { controlSocket } = topology;
    await request(controlSocket, 'detach', { group: 'vm1' });
    const attach = (devargs: string) => request(controlSocket, 'attach', { group: 'vm1', devargs });
    await assert.rejects(attach(`tap:${'x'.repeat(16)}`), /tap interface name is 16 bytes; Linux allows at most 15/);
    await assert.rejects(attach('tap:a/b'), /may hold only letters, digits/);
    await assert.rejects(attach('tap:a\u0000b'), /control characters|may hold only letters, digits/);
    await assert.rejects(attach('tap:'), /needs an interface name/);
    await assert.rejects(attach('tap:br0'), /interface br0 exists already; the daemon makes its own taps/);
    // A free name is taken, made, and carries the group again.
    await attach(`tap:vfn${topology.standbyTap.slice(3)}`);
    assert.ok(topology.netns.hasLink(`vfn${topology.standbyTap.slice(3)}`));
    await waitFor(
      'the new primary to carry traffic',
      async () => (await topology.groupStatus()).activePath === 'primary',
    );
  });
});
