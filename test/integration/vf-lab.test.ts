// The VF lab's CI form: one L1 boot (lab/vf) and its one most important check, a failover off a
// real SR-IOV VF and back onto it with the PF's wire counted. The daemon in L1 has VF 0 of an
// emulated 82576 (readied by prepare-vf, bound to vfio-pci) as its primary and a tap standby; a
// testpmd guest sends. Detaching VF 0 moves the guest's frames to the standby and off the wire;
// attaching it again probes it afresh and the group fails back onto it, and every frame the
// daemon handed VF 0 is on the wire. The rest of the VF lab is test/vf (npm run test:vf).
import assert from 'assert';
import { Capture } from '../../lab/capture';
import { waitFor } from '../../lab/wait';
import { useVfLab, WIRE_TAP } from '../../lab/vf/l1-fixture';

const GUEST_MAC = '52:54:00:00:0f:05';
/** How long each phase's frames are counted. */
const PHASE_MS = 3000;

describe('the VF lab in CI: failover off a real SR-IOV VF and failback, the wire counted', function () {
  this.timeout(300000);
  const lab = useVfLab({ name: 'vf-ci', guestMac: GUEST_MAC, vfs: 1, skipWithoutQemu10: true });
  let wireBeforeDaemon = 0;
  /** Frames on the wire from L1 that are not the guest's (the PF's own): not the daemon's to account for. */
  let notTheGuests: Capture | undefined;
  lab.onTeardown(() => notTheGuests?.stop());

  /** Frames the wire carried over PHASE_MS, and the guest's frames the daemon sent on the standby. */
  const phase = async () => {
    const standbyTx = async () => (await lab.daemon!.stats()).groups.vm1.txPackets.standby;
    const standby = await standbyTx();
    const wire = await lab.wireFramesIn(PHASE_MS);
    return { wire, standby: (await standbyTx()) - standby };
  };
  const activePath = () => lab.activePath();

  before(async function () {
    notTheGuests = await Capture.start(lab.netns.name, WIRE_TAP, `not ether src ${GUEST_MAC}`, ['-Q', 'in']);
    wireBeforeDaemon = lab.wireFrames();
    await lab.startDaemon({ config: { failover: { failbackDelayMs: 1000 } } });
    await lab.startGuest('txonly', { peerMac: '02:00:00:00:0b:05', txIp: ['198.18.0.2', '198.18.0.99'] });
  });

  it('fails over to the standby when VF 0 goes, back onto it when it returns; the wire carries every frame VF 0 was handed', async function () {
    await lab.onPrimary();
    const onVf = await phase();
    assert.ok(onVf.wire > 500, `the wire carried ${onVf.wire} frames from VF 0`);

    await lab.daemon!.request('detach', { group: 'vm1' });
    assert.strictEqual(await activePath(), 'standby');
    const onStandby = await phase();
    assert.strictEqual(onStandby.wire, 0, 'nothing on the wire while VF 0 is detached');
    assert.ok(onStandby.standby > 500, `the standby sent ${onStandby.standby} frames`);

    await lab.daemon!.request('attach', { group: 'vm1', devargs: lab.pf.vfs[0] });
    await waitFor('the failback onto VF 0', async () => (await activePath()) === 'primary', 30000, 500);
    const back = await phase();
    assert.ok(back.wire > 500, `the wire carried ${back.wire} frames from VF 0 after the failback`);

    await lab.stopGuest();
    await lab.wireQuiet();
    const stats = (await lab.daemon!.stats()).groups.vm1;
    const handed = stats.txPackets.primary + stats.announcementsSent.primary + stats.garpsSent.primary;
    const carried = lab.wireFrames() - wireBeforeDaemon - notTheGuests!.lines().length;
    console.log(
      `      frames/s on the wire: ${Math.round(onVf.wire / (PHASE_MS / 1000))} on VF 0, ${onStandby.wire} detached ` +
        `(standby ${Math.round(onStandby.standby / (PHASE_MS / 1000))}/s), ` +
        `${Math.round(back.wire / (PHASE_MS / 1000))} back on VF 0; handed VF 0 ${handed}, the wire carried ${carried}`,
    );
    assert.strictEqual(carried, handed);
  });
});
