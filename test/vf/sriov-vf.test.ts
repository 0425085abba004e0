// The primary path on a real SR-IOV VF: the lab's L1 host (lab/vf) with an emulated 82576, the
// kernel's igb PF driver, VF 0 readied by prepare-vf and driven by DPDK's igbvf PMD under the
// daemon, a tap standby and a testpmd guest, all inside L1; the PF's wire is a tap in this test's
// namespace, counted here. The faults a VF shows are test/vf/primary-faults-vf.test.ts's.
// Not part of the default suite (a run costs minutes of both CPUs): `npm run test:vf`.
import assert from 'assert';
import { Capture } from '../../lab/capture';
import { useVfLab, WIRE_TAP } from '../../lab/vf/l1-fixture';
import { pciDriver, pfVfSettings } from '../../lab/vf/sriov';
import { sendWireFrames } from '../../lab/vf/wire-frames';
import { receivedFromWire } from '../../lab/vf/wire-receptions';

const GUEST_MAC = '52:54:00:00:0f:01';
const WIRE_PEER_MAC = '02:00:00:00:0b:01';
const OTHER_MAC = '02:00:00:00:0c:01';

describe('the primary path on a real SR-IOV VF: the daemon in an L1 host with an emulated 82576', function () {
  this.timeout(600000);
  const lab = useVfLab({ name: 'vf-lab', guestMac: GUEST_MAC, prepareVf0: false });
  /** Frames the PF put on the wire before the daemon started. */
  let wireBeforeDaemon = 0;
  /** Frames on the wire from L1 that are not the guest's (not the daemon's to account for). */
  let notTheGuests: Capture | undefined;
  lab.onTeardown(() => notTheGuests?.stop());

  it('prepare-vf readies VF 0 through the real PF: its MAC, spoof checking, trust only when asked, vfio-pci', async function () {
    await lab.timed('prepare-vf --trust', () => lab.prepareVf0(' --trust'));
    assert.deepStrictEqual(await pfVfSettings(lab.l1, lab.pf, 0), { mac: GUEST_MAC, trust: true, spoofCheck: true });
    await lab.timed('prepare-vf', () => lab.prepareVf0());
    assert.deepStrictEqual(await pfVfSettings(lab.l1, lab.pf, 0), { mac: GUEST_MAC, trust: false, spoofCheck: true });
    assert.strictEqual(await pciDriver(lab.l1, lab.pf.vfs[0]), 'vfio-pci');
  });

  describe('the daemon with VF 0 as its primary, a tap standby and a testpmd guest', function () {
    before(async function () {
      notTheGuests = await Capture.start(lab.netns.name, WIRE_TAP, `not ether src ${GUEST_MAC}`, ['-Q', 'in']);
      wireBeforeDaemon = lab.wireFrames();
      await lab.startDaemon();
      await lab.startGuest('txonly', { peerMac: WIRE_PEER_MAC, txIp: ['198.18.0.2', '198.18.0.99'] });
    });

    it("sends the guest's frames through VF 0, counted on the PF's wire", async function () {
      await lab.onPrimary();
      const frames = await lab.wireFramesIn(5000);
      console.log(`      the wire carried ${Math.round(frames / 5)} frames/s from VF 0`);
      assert.ok(frames > 1000, `the wire saw ${frames} frames in 5 s`);
    });

    it("receives the wire's frames for the guest's MAC through VF 0, and none for another MAC", async function () {
      // Fewer than VF 0's receive ring holds: a burst the emulated NIC takes faster than the
      // worker (sharing its CPU under TCG) empties the ring would be lost to the ring, not the filter.
      const count = 200;
      /** Sends `count` frames to `mac` and returns how many the daemon took from each uplink. */
      const receivedFor = (mac: string) =>
        receivedFromWire(lab.netns, WIRE_TAP, lab.daemon!, 'vm1', count, () =>
          sendWireFrames(lab.netns, WIRE_TAP, WIRE_PEER_MAC, mac, count),
        );
      const forOther = await receivedFor(OTHER_MAC);
      const forGuest = await receivedFor(GUEST_MAC);
      console.log(
        `      of ${count} frames each, VF 0 received ${forOther.primary} for ${OTHER_MAC}, ${forGuest.primary} for the guest's`,
      );
      assert.deepStrictEqual(forOther, { primary: 0, standby: 0 }, 'frames for another MAC reach nobody here');
      assert.deepStrictEqual(forGuest, { primary: count, standby: 0 }, "VF 0 receives every frame for the guest's MAC");
    });

    // Last: the guest stops.
    it('accounts for every frame: what the daemon handed VF 0 is what the wire carried', async function () {
      await lab.stopGuest();
      await lab.wireQuiet();
      const stats = (await lab.daemon!.stats()).groups.vm1;
      const handed = stats.txPackets.primary + stats.announcementsSent.primary + stats.garpsSent.primary;
      const others = notTheGuests!.lines();
      const carried = lab.wireFrames() - wireBeforeDaemon - others.length;
      if (others.length)
        console.log(`      frames on the wire from L1 not the guest's:\n        ${others.join('\n        ')}`);
      console.log(
        `      the daemon handed VF 0 ${handed} frames (${stats.txPackets.primary} of the guest's, ` +
          `${stats.announcementsSent.primary} announcements, ${stats.garpsSent.primary} gratuitous ARPs); ` +
          `the wire carried ${carried} of the guest's MAC; refused by VF 0: ${stats.txDroppedFull.primary}`,
      );
      assert.strictEqual(carried, handed);
    });
  });
});
