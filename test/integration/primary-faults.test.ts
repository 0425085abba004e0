// A primary that reads up but does not transmit, and one the kernel asks the daemon to release,
// on real DPDK: the faults an SR-IOV VF shows behind its PF (a PF down or reset, sriov_numvfs
// lowered), provoked on the lab's tap primary by fault injection that goes through the same
// native paths (an ethdev tx callback that takes no frame; DPDK's device event dispatch).
import { strict as assert } from 'assert';
import { request } from '../../src/control/client';
import { labConfig } from '../../lab/topology';
import { openLedger } from '../../lab/ledger';
import { waitFor } from '../../lab/wait';
import { topologyPerTest } from '../support/lab';

// native/dpdk/control/tx_progress.h: a primary refusing every frame is out of service after this long.
const TX_STALL_MS = 100;

describe('primary faults (real DPDK)', function () {
  const lab = topologyPerTest();

  it('fails a primary that takes no frame with its link up over within the stall bound, resets it, and does so again on every stall', async function () {
    const t = await lab.start(labConfig({ faultInjection: true, failover: { failbackDelayMs: 300 } }));
    const ledger = await openLedger(t);
    const vm = await t.startSender();
    await waitFor('traffic on the primary', () => t.netns.counters(t.primaryTap).rxPackets > 20000, 10000);

    const gapsMs: number[] = [];
    for (let stall = 1; stall <= 2; stall++) {
      await request(t.controlSocket, 'inject-tx-stall', { group: 'vm1' });
      await waitFor(`stall ${stall} to fail the primary over`, async () => {
        const stats = await t.groupStats();
        return (stats.switches['tx-stalled'] ?? 0) === stall && stats;
      });
      // The worker measures the switch: last frame the primary took to the first on the standby.
      const gapMs = (await t.groupStats()).lastSwitchGapUs / 1000;
      gapsMs.push(gapMs);
      await t.daemon!.waitForLog(/primary tx stalled: it refused every frame for 100 ms with its link up/, 5000);
      // net_tap has no reset: the daemon closes the port and its retry probes it afresh (a VF with
      // a reset is reset in place), then fails back after the delay.
      await t.waitForActivePath('primary', 15000);
      const primaryStart = t.netns.counters(t.primaryTap).rxPackets;
      await waitFor(
        `traffic on the primary after stall ${stall}`,
        () => t.netns.counters(t.primaryTap).rxPackets > primaryStart + 20000,
        10000,
      );
    }
    console.log(`      failover gaps on a tx stall: ${gapsMs.map((ms) => ms.toFixed(1)).join(', ')} ms`);
    for (const gapMs of gapsMs) {
      assert.ok(gapMs >= TX_STALL_MS * 0.9, `a ${gapMs} ms gap: the stall bound is ${TX_STALL_MS} ms`);
      // The bound plus a worker's burst and the standby's first send, on a shared 2-CPU machine.
      assert.ok(gapMs < TX_STALL_MS + 150, `a ${gapMs} ms gap exceeds the ${TX_STALL_MS} ms bound by too much`);
    }
    await t.daemon!.waitForLog(/primary reset failed: closing it and probing it afresh/, 5000);
    await t.daemon!.waitForLog(/"by":"retry".*"msg":"primary attached"/, 5000);
    await vm.command('stop');
    // Frames the stalled primary refused are dropped and counted (txDroppedFull), none silently.
    const books = await ledger.close('two tx stalls, resets and failbacks', { strict: false });
    console.log(`      dropped by cause: ${JSON.stringify(books.droppedByCause)}`);
    assert.equal(books.lostSilently, 0);
    assert.ok(books.droppedByCause.uplink_full_primary > 0, 'the refused frames are counted as the primary full');
  });

  it("fails over when the primary's driver asks for a reset, and takes the primary back once it is reset or re-probed", async function () {
    const t = await lab.start(labConfig({ faultInjection: true, failover: { failbackDelayMs: 300 } }));
    const ledger = await openLedger(t);
    const vm = await t.startSender();
    await waitFor('traffic on the primary', () => t.netns.counters(t.primaryTap).rxPackets > 20000, 10000);

    // The callback DPDK runs for RTE_ETH_EVENT_INTR_RESET, on the interrupt thread.
    assert.deepEqual(await request(t.controlSocket, 'inject-reset', { group: 'vm1' }), {
      injected: 'reset',
      group: 'vm1',
    });
    await waitFor('the failover', async () => ((await t.groupStats()).switches.reset ?? 0) === 1);
    await t.daemon!.waitForLog(/primary reset requested by its driver \(RTE_ETH_EVENT_INTR_RESET\)/, 5000);
    await t.waitForActivePath('primary', 15000);
    const primaryStart = t.netns.counters(t.primaryTap).rxPackets;
    await waitFor(
      'traffic on the primary again',
      () => t.netns.counters(t.primaryTap).rxPackets > primaryStart + 20000,
      10000,
    );
    await vm.command('stop');
    await ledger.close('a reset request and the primary back');
  });

  it("releases the primary at once when the kernel asks (vfio's device request), fails over, and takes it back when it returns", async function () {
    const t = await lab.start(labConfig({ faultInjection: true, failover: { failbackDelayMs: 300 } }));
    const ledger = await openLedger(t);
    const vm = await t.startSender();
    await waitFor('traffic on the primary', () => t.netns.counters(t.primaryTap).rxPackets > 20000, 10000);

    // DPDK dispatches RTE_DEV_EVENT_REMOVE by the device's name on the interrupt thread, as its
    // vfio request notifier does; the daemon closes and unplugs the device from the Node thread.
    const asked = performance.now();
    const reply = await request(t.controlSocket, 'inject-removal', { group: 'vm1', signal: 'device-event' });
    assert.deepEqual(reply, { injected: 'removal', group: 'vm1', signal: 'device-event' });
    await waitFor('the primary released', async () => {
      const status = await t.groupStatus();
      return status.primary.portId === 65535 && !t.netns.hasLink(t.primaryTap) && status;
    });
    const releasedMs = performance.now() - asked;
    console.log(`      device released ${releasedMs.toFixed(0)} ms after the request (control round trips included)`);
    assert.equal((await t.groupStats()).switches.removed, 1);
    assert.equal((await t.groupStatus()).activePath, 'standby');

    await t.waitForActivePath('primary', 15000);
    const primaryStart = t.netns.counters(t.primaryTap).rxPackets;
    await waitFor(
      'traffic on the primary again',
      () => t.netns.counters(t.primaryTap).rxPackets > primaryStart + 20000,
      10000,
    );
    await vm.command('stop');
    await ledger.close('a device release request and the primary back');
  });
});
