// The VF lab's CI form: one L1 boot (lab/vf) and its one most important check, a failover off a
// real SR-IOV VF and back onto it with the PF's wire counted. The daemon in L1 has VF 0 of an
// emulated 82576 (readied by prepare-vf, bound to vfio-pci) as its primary and a tap standby; a
// testpmd guest sends. Detaching VF 0 moves the guest's frames to the standby and off the wire;
// attaching it again probes it afresh and the group fails back onto it, and every frame the
// daemon handed VF 0 is on the wire. The rest of the VF lab is test/vf (npm run test:vf).
import assert from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Capture } from '../../lab/capture';
import { Netns } from '../../lab/netns';
import { waitFor } from '../../lab/wait';
import { L1Daemon, L1_DAEMON_DIR } from '../../lab/vf/l1-daemon';
import { L1Testpmd } from '../../lab/vf/l1-testpmd';
import { L1Vm, L1_CHECKOUT } from '../../lab/vf/l1-vm';
import { qemu10Installed } from '../../lab/vf/qemu10';
import { createVfs, type SriovPf } from '../../lab/vf/sriov';

const GUEST_MAC = '52:54:00:00:0f:05';
const WIRE_TAP = 'pfwire';
/** How long each phase's frames are counted. */
const PHASE_MS = 3000;

describe('the VF lab in CI: failover off a real SR-IOV VF and failback, the wire counted', function () {
  this.timeout(300000);
  const netns = new Netns('vfci');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-ci-'));
  let fileStart = 0;
  let l1: L1Vm | undefined;
  let pf: SriovPf;
  let daemon: L1Daemon | undefined;
  let guest: L1Testpmd | undefined;
  let wireBeforeDaemon = 0;
  /** Frames on the wire from L1 that are not the guest's (the PF's own): not the daemon's to account for. */
  let notTheGuests: Capture | undefined;

  const wireFrames = () => {
    const counters = netns.counters(WIRE_TAP);
    return counters.rxPackets + counters.rxDropped;
  };
  /** Frames the wire carried over PHASE_MS, and the guest's frames the daemon sent on the standby. */
  const phase = async () => {
    const wire = wireFrames();
    const standby = (await daemon!.stats()).groups.vm1.txPackets.standby;
    await new Promise((resolve) => setTimeout(resolve, PHASE_MS));
    return { wire: wireFrames() - wire, standby: (await daemon!.stats()).groups.vm1.txPackets.standby - standby };
  };
  const activePath = async () => (await daemon!.status())[0].activePath;

  before(async function () {
    if (!qemu10Installed()) this.skip();
    fileStart = Date.now();
    l1 = await L1Vm.boot({ dir, netns, wireTap: WIRE_TAP });
    netns.setLink(WIRE_TAP, 'up');
    pf = await createVfs(l1, 1);
    await l1.runOk(`cd ${L1_CHECKOUT} && node dist/src/cli.js prepare-vf ${pf.vfs[0]} --mac ${GUEST_MAC}`, 60000);
    notTheGuests = await Capture.start(netns.name, WIRE_TAP, `not ether src ${GUEST_MAC}`, ['-Q', 'in']);
    wireBeforeDaemon = wireFrames();
    daemon = await L1Daemon.start(l1, {
      dataplane: { filePrefix: 'vf-ci', workerCpus: [1], mbufs: 8191 },
      control: { socket: `${L1_DAEMON_DIR}/control.sock` },
      failover: { failbackDelayMs: 1000 },
      groups: [
        {
          name: 'vm1',
          mac: GUEST_MAC,
          vhost: { socket: `${L1_DAEMON_DIR}/vm1.sock`, mode: 'server' },
          primary: { devargs: pf.vfs[0] },
          standby: { devargs: 'net_tap0,iface=sb0' },
        },
      ],
    });
    guest = await L1Testpmd.start(l1, {
      socket: `${L1_DAEMON_DIR}/vm1.sock`,
      mac: GUEST_MAC,
      filePrefix: 'vf-ci-vm',
      mode: 'txonly',
      cpu: 0,
      peerMac: '02:00:00:00:0b:05',
      txIp: ['198.18.0.2', '198.18.0.99'],
    });
  });

  let failed = false;
  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async function () {
    if (!l1) return netns.dispose();
    if (failed || !daemon) {
      console.log(`L1's console:\n${l1.console().slice(-4000)}\ndaemon's log:\n${daemon?.log.slice(-6000)}`);
      console.log(`      L1's files: ${dir}`);
    }
    await guest?.stop().catch(() => undefined);
    await daemon?.stop().catch(() => undefined);
    await l1.stop();
    notTheGuests?.stop();
    netns.dispose();
    if (!failed && daemon) fs.rmSync(dir, { recursive: true, force: true });
    console.log(`      the VF lab's CI test took ${(Date.now() - fileStart) / 1000} s`);
  });

  it('fails over to the standby when VF 0 goes, back onto it when it returns; the wire carries every frame VF 0 was handed', async function () {
    await waitFor('the daemon on VF 0', async () => (await activePath()) === 'primary', 60000, 1000);
    const onVf = await phase();
    assert.ok(onVf.wire > 500, `the wire carried ${onVf.wire} frames from VF 0`);

    await daemon!.request('detach', { group: 'vm1' });
    assert.strictEqual(await activePath(), 'standby');
    const onStandby = await phase();
    assert.strictEqual(onStandby.wire, 0, 'nothing on the wire while VF 0 is detached');
    assert.ok(onStandby.standby > 500, `the standby sent ${onStandby.standby} frames`);

    await daemon!.request('attach', { group: 'vm1', devargs: pf.vfs[0] });
    await waitFor('the failback onto VF 0', async () => (await activePath()) === 'primary', 30000, 500);
    const back = await phase();
    assert.ok(back.wire > 500, `the wire carried ${back.wire} frames from VF 0 after the failback`);

    await guest!.stop();
    let last = -1;
    await waitFor(
      'the wire to go quiet',
      () => {
        const now = wireFrames();
        const quiet = now === last;
        last = now;
        return quiet;
      },
      30000,
      1000,
    );
    const stats = (await daemon!.stats()).groups.vm1;
    const handed = stats.txPackets.primary + stats.announcementsSent.primary + stats.garpsSent.primary;
    const carried = wireFrames() - wireBeforeDaemon - notTheGuests!.lines().length;
    console.log(
      `      frames/s on the wire: ${Math.round(onVf.wire / (PHASE_MS / 1000))} on VF 0, ${onStandby.wire} detached ` +
        `(standby ${Math.round(onStandby.standby / (PHASE_MS / 1000))}/s), ` +
        `${Math.round(back.wire / (PHASE_MS / 1000))} back on VF 0; handed VF 0 ${handed}, the wire carried ${carried}`,
    );
    assert.strictEqual(carried, handed);
  });
});
