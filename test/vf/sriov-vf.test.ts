// The primary path on a real SR-IOV VF: the lab's L1 host (lab/vf) with an emulated 82576, the
// kernel's igb PF driver, VF 0 on vfio-pci and DPDK's igbvf PMD under the daemon, a tap standby,
// and a testpmd guest, all inside L1; the PF's wire is a tap in this test's namespace, counted here.
// Not part of the default suite (a run costs minutes of both CPUs): `npm run test:vf`.
import assert from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Netns } from '../../lab/netns';
import { waitFor } from '../../lab/wait';
import { L1Daemon, L1_DAEMON_DIR } from '../../lab/vf/l1-daemon';
import { L1Testpmd } from '../../lab/vf/l1-testpmd';
import { L1Vm } from '../../lab/vf/l1-vm';
import { bindVfio, createVfs, pfVfInfo, type SriovPf } from '../../lab/vf/sriov';

const GUEST_MAC = '52:54:00:00:0f:01';
const WIRE_PEER_MAC = '02:00:00:00:0b:01';
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

describe('a real SR-IOV VF: the daemon in an L1 host with an emulated 82576', function () {
  this.timeout(600000);
  const netns = new Netns('vfl1');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-lab-'));
  const fileStart = Date.now();
  let l1: L1Vm | undefined;
  let pf: SriovPf;
  let daemon: L1Daemon | undefined;
  let guest: L1Testpmd | undefined;

  const wireFrames = () => netns.counters(WIRE_TAP).rxPackets;
  const activePath = async () => (await daemon!.status())[0].activePath;
  async function standbyFrames(): Promise<number> {
    const [link] = JSON.parse(await l1!.runOk(`ip -j -s link show dev ${STANDBY_TAP}`)) as Array<{
      stats64: { rx: { packets: number } };
    }>;
    // The daemon's tap writes are the kernel interface's receptions.
    return link.stats64.rx.packets;
  }
  /** Frames the PF's wire carried in `windowMs`. */
  async function wireFramesIn(windowMs: number): Promise<number> {
    const before = wireFrames();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    return wireFrames() - before;
  }

  before(async function () {
    l1 = await timed('L1 boot', () => L1Vm.boot({ dir, netns, wireTap: WIRE_TAP }));
    netns.setLink(WIRE_TAP, 'up');
    pf = await timed('VF creation', () => createVfs(l1!, 2));
    await timed('vfio bind', () => bindVfio(l1!, pf.vfs[0]));
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

  after(async function () {
    // Whatever failed, nothing of L1 outlives the file.
    if (this.currentTest?.state === 'failed' || !daemon) {
      console.log(`L1's console:\n${l1?.console().slice(-4000)}\ndaemon's log:\n${daemon?.log.slice(-6000)}`);
    }
    await guest?.stop().catch(() => undefined);
    await daemon?.stop().catch(() => undefined);
    await l1?.stop();
    netns.dispose();
    timingsS['whole file'] = (Date.now() - fileStart) / 1000;
    console.log(`VF lab timings (s): ${JSON.stringify(timingsS)}`);
  });

  it("sends the guest's frames through VF 0, counted on the PF's wire", async function () {
    await waitFor('the daemon on its primary', async () => (await activePath()) === 'primary', 60000, 1000);
    const frames = await wireFramesIn(5000);
    console.log(`      the wire carried ${Math.round(frames / 5)} frames/s from the VF`);
    assert.ok(frames > 1000, `the wire saw ${frames} frames in 5 s`);
    console.log(`      ${await pfVfInfo(l1!, pf)}`);
  });

  it("fails over to the standby when the PF's link goes down, and stays there while it is down", async function () {
    await l1!.runOk(`ip link set ${pf.netdev} down`);
    await timed('failover after PF down', () =>
      waitFor('the daemon on its standby', async () => (await activePath()) === 'standby', 30000, 500),
    );
    const standbyBefore = await standbyFrames();
    // Longer than failbackDelayMs (2 s): a VF that reads up but sends nothing must not take the
    // traffic back.
    await new Promise((resolve) => setTimeout(resolve, 8000));
    assert.strictEqual(await activePath(), 'standby');
    assert.ok((await standbyFrames()) > standbyBefore + 1000, 'the standby carries the traffic');
  });

  it("carries the guest's frames on the VF again once the PF is up", async function () {
    await l1!.runOk(`ip link set ${pf.netdev} up`);
    await timed('back on the VF after PF up', () =>
      waitFor(
        'the daemon on its primary, and frames on the wire',
        async () => (await activePath()) === 'primary' && (await wireFramesIn(2000)) > 500,
        90000,
        1000,
      ),
    );
  });
});
