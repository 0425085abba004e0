// Link detection by events: with no traffic (so no refused send tells the worker), a pulled tap
// is seen through the kernel's link notification, not a poll. That the monitor sleeps meanwhile
// is counted in idle-cost.test.ts.
import { strict as assert } from 'assert';
import { labConfig } from '../../lab/topology';
import { topologyPerTest } from '../support/lab';

describe('link events (real DPDK, tap uplinks, testpmd VM)', function () {
  const lab = topologyPerTest();

  for (const primaryTap of ['net_tap', 'own'] as const)
    it(`sees a pulled ${primaryTap === 'own' ? 'own tap' : 'net_tap'} primary with no traffic through the kernel link notification`, async function () {
      const topology = await lab.start(labConfig({ primaryTap }));
      await topology.waitForActivePath('primary');
      await topology.startVm('rxonly'); // connected through net_vhost's LSC event
      await topology.announcementsDone();

      // No traffic, so no refused send can tell the worker: only the notification can.
      const pulledAt = process.hrtime.bigint();
      topology.netns.setLink(topology.primaryTap, 'down');
      const pullReturned = process.hrtime.bigint();
      await topology.waitForActivePath('standby', 500);
      const { lastSwitch } = await topology.groupStatus();
      assert.match(lastSwitch!.reason, /\(netlink\)/);
      const since = (at: bigint) => (Number(BigInt(lastSwitch!.activeSinceNs) - at) / 1000).toFixed(0);
      console.log(
        `      idle ${primaryTap} primary pulled: standby ${since(pulledAt)} us after \`ip link set down\` started, ` +
          `${since(pullReturned)} us after it returned`,
      );

      topology.netns.setLink(topology.primaryTap, 'up');
      await topology.waitForActivePath('primary');
    });
});
