// The primary path on a real SR-IOV VF: the lab's L1 host (lab/vf) with an emulated 82576, the
// kernel's igb PF driver, VF 0 readied by prepare-vf and driven by DPDK's igbvf PMD under the
// daemon, a tap standby and a testpmd guest, all inside L1; the PF's wire is a tap in this test's
// namespace, counted here. The faults a VF shows are test/vf/primary-faults-vf.test.ts's.
// Not part of the default suite (a run costs minutes of both CPUs): `npm run test:vf`.
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
import { createVfs, pciDriver, pfVfSettings, type SriovPf } from '../../lab/vf/sriov';
import { sendWireFrames } from '../../lab/vf/wire-frames';

const GUEST_MAC = '52:54:00:00:0f:01';
const WIRE_PEER_MAC = '02:00:00:00:0b:01';
const OTHER_MAC = '02:00:00:00:0c:01';
const WIRE_TAP = 'pfwire';
const STANDBY_TAP = 'sb0';

/** Seconds each stage took, printed after the run. */
const timingsS: Record<string, number> = {};
async function timed<T>(stage: string, work: () => Promise<T>): Promise<T> {
  const start = Date.now();
  try {
    return await work();
  } finally {
    timingsS[stage] = (Date.now() - start) / 1000;
  }
}

describe('the primary path on a real SR-IOV VF: the daemon in an L1 host with an emulated 82576', function () {
  this.timeout(600000);
  const netns = new Netns('vfl1');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-lab-'));
  let fileStart = 0;
  let l1: L1Vm | undefined;
  let pf: SriovPf;
  let daemon: L1Daemon | undefined;
  let guest: L1Testpmd | undefined;
  /** Frames the PF put on the wire before the daemon started. */
  let wireBeforeDaemon = 0;
  /** Frames on the wire from L1 that are not the guest's (not the daemon's to account for). */
  let notTheGuests: Capture | undefined;

  /** Frames the PF put on the wire: the tap's receptions, and those its backlog dropped. */
  const wireFrames = () => {
    const counters = netns.counters(WIRE_TAP);
    return counters.rxPackets + counters.rxDropped;
  };
  const activePath = async () => (await daemon!.status())[0].activePath;
  const groupStats = async () => (await daemon!.stats()).groups.vm1;
  /** Frames the daemon took from each uplink: delivered to the guest, or dropped and counted. */
  const received = async () => {
    const stats = await groupStats();
    const from = (path: 'primary' | 'standby') =>
      stats.rxPackets[path] + stats.rxDroppedGuest[path] + stats.rxDroppedInactive[path];
    return { primary: from('primary'), standby: from('standby') };
  };

  before(async function () {
    fileStart = Date.now();
    l1 = await timed('L1 boot', () => L1Vm.boot({ dir, netns, wireTap: WIRE_TAP }));
    netns.setLink(WIRE_TAP, 'up');
    pf = await timed('VF creation', () => createVfs(l1!, 2));
  });

  // An after hook sees only its own suite's last test: every test reports here.
  let failed = false;
  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async function () {
    // Whatever failed, nothing of L1 outlives the file; its logs stay in `dir` when a test failed.
    failed ||= !daemon;
    if (failed) {
      console.log(`L1's console:\n${l1?.console().slice(-4000)}\ndaemon's log:\n${daemon?.log.slice(-6000)}`);
      console.log(`      L1's files: ${dir}`);
    }
    await guest?.stop().catch(() => undefined);
    await daemon?.stop().catch(() => undefined);
    await l1?.stop();
    notTheGuests?.stop();
    netns.dispose();
    if (!failed) fs.rmSync(dir, { recursive: true, force: true });
    timingsS['whole file'] = (Date.now() - fileStart) / 1000;
    console.log(`      VF lab timings (s): ${JSON.stringify(timingsS)}`);
  });

  it('prepare-vf readies VF 0 through the real PF: its MAC, spoof checking, trust only when asked, vfio-pci', async function () {
    const prepare = (flags: string) =>
      l1!.runOk(`cd ${L1_CHECKOUT} && node dist/src/cli.js prepare-vf ${pf.vfs[0]} --mac ${GUEST_MAC}${flags}`, 60000);
    await timed('prepare-vf --trust', () => prepare(' --trust'));
    assert.deepStrictEqual(await pfVfSettings(l1!, pf, 0), { mac: GUEST_MAC, trust: true, spoofCheck: true });
    await timed('prepare-vf', () => prepare(''));
    assert.deepStrictEqual(await pfVfSettings(l1!, pf, 0), { mac: GUEST_MAC, trust: false, spoofCheck: true });
    assert.strictEqual(await pciDriver(l1!, pf.vfs[0]), 'vfio-pci');
  });

  describe('the daemon with VF 0 as its primary, a tap standby and a testpmd guest', function () {
    before(async function () {
      notTheGuests = await Capture.start(netns.name, WIRE_TAP, `not ether src ${GUEST_MAC}`, ['-Q', 'in']);
      wireBeforeDaemon = wireFrames();
      daemon = await timed('daemon start', () =>
        L1Daemon.start(l1!, {
          dataplane: { filePrefix: 'vf-lab', workerCpus: [1], mbufs: 8191 },
          control: { socket: `${L1_DAEMON_DIR}/control.sock` },
          groups: [
            {
              name: 'vm1',
              mac: GUEST_MAC,
              vhost: { socket: `${L1_DAEMON_DIR}/vm1.sock`, mode: 'server' },
              primary: { devargs: pf.vfs[0] },
              standby: { devargs: `net_tap0,iface=${STANDBY_TAP}` },
            },
          ],
        }),
      );
      guest = await timed('guest start', () =>
        L1Testpmd.start(l1!, {
          socket: `${L1_DAEMON_DIR}/vm1.sock`,
          mac: GUEST_MAC,
          filePrefix: 'vf-lab-vm',
          mode: 'txonly',
          cpu: 0,
          peerMac: WIRE_PEER_MAC,
          txIp: ['198.18.0.2', '198.18.0.99'],
        }),
      );
    });

    it("sends the guest's frames through VF 0, counted on the PF's wire", async function () {
      await waitFor('the daemon on its primary', async () => (await activePath()) === 'primary', 60000, 1000);
      const before = wireFrames();
      await new Promise((resolve) => setTimeout(resolve, 5000));
      const frames = wireFrames() - before;
      console.log(`      the wire carried ${Math.round(frames / 5)} frames/s from VF 0`);
      assert.ok(frames > 1000, `the wire saw ${frames} frames in 5 s`);
    });

    it("receives the wire's frames for the guest's MAC through VF 0, and none for another MAC", async function () {
      // Fewer than VF 0's receive ring holds: a burst the emulated NIC takes faster than the
      // worker (sharing its CPU under TCG) empties the ring would be lost to the ring, not the filter.
      const count = 200;
      /** Sends `count` frames to `mac` and returns how many the daemon took from each uplink. */
      const receivedFor = async (mac: string) => {
        const before = await received();
        const delivered = netns.counters(WIRE_TAP).txPackets;
        sendWireFrames(netns, WIRE_TAP, WIRE_PEER_MAC, mac, count);
        await waitFor(
          'the PF to take the frames from the wire',
          () => netns.counters(WIRE_TAP).txPackets - delivered >= count,
          30000,
          100,
        );
        let after = before;
        await waitFor(
          'the daemon to count what VF 0 received',
          async () => {
            after = await received();
            return after.primary - before.primary >= count;
          },
          5000,
          1000,
        ).catch(() => undefined);
        return { primary: after.primary - before.primary, standby: after.standby - before.standby };
      };
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
      const stats = await groupStats();
      const handed = stats.txPackets.primary + stats.announcementsSent.primary + stats.garpsSent.primary;
      const others = notTheGuests!.lines();
      const carried = wireFrames() - wireBeforeDaemon - others.length;
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
