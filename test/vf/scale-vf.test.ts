// 32 groups in one daemon, each with a real SR-IOV VF as its primary, the only DPDK port a group
// owns (the guest is lib/vhost's, the standby the daemon's own tap): 32 is RTE_MAX_ETHPORTS in
// Debian's DPDK. The lab's L1 host has 5 emulated 82576 PFs (Linux's igb makes at most 7 VFs a
// PF), each PF's wire a tap in this test's namespace; one testpmd in L1 is the guest of every
// group. Each group's frames are counted on the wires by the guest's MAC, one group's VF is pulled
// under the others' load and comes back, and every guest frame is sent or counted. `npm run test:vf`.
import assert from 'assert';
import fs from 'fs';
import type { GroupStatsReply } from '../../src/control/protocol';
import { Capture } from '../../lab/capture';
import { books } from '../../lab/ledger';
import { testpmdEal } from '../../lab/testpmd';
import { waitFor } from '../../lab/wait';
import { L1Daemon, L1_DAEMON_DIR } from '../../lab/vf/l1-daemon';
import { useVfLab, wireTapOf } from '../../lab/vf/l1-fixture';
import { L1Testpmd } from '../../lab/vf/l1-testpmd';
import { L1_CHECKOUT, L1_CTL_DIR } from '../../lab/vf/l1-vm';
import { pciDriver } from '../../lab/vf/sriov';
import { wireSourcesIn, type WireSources } from '../../lab/vf/wire-sources';

const PFS = 5;
const VFS_PER_PF = 7;
const GROUPS = 32;
const guestMac = (i: number) => `52:54:00:00:1f:${i.toString(16).padStart(2, '0')}`;
const pfOf = (i: number) => Math.floor(i / VFS_PER_PF);
/** Counting window for the wires' sources: long enough for TCG's slowest group to show. */
const WINDOW_MS = 4000;

type Counters = Record<string, GroupStatsReply>;

/** Frames a group's primary put on its PF's wire as the daemon counts them (announcements too). */
const onPrimary = (s: GroupStatsReply) =>
  s.txPackets.primary + s.announcementsSent.primary + s.garpsSent.primary - s.txLostInRing;
const onStandby = (s: GroupStatsReply) => s.txPackets.standby + s.announcementsSent.standby + s.garpsSent.standby;

describe('32 groups in one daemon, each on its own real SR-IOV VF (5 emulated 82576 PFs, 7 VFs each)', function () {
  this.timeout(900000);
  const lab = useVfLab({ name: 'vf-scale', guestMac: guestMac(0), pfs: PFS, vfs: VFS_PER_PF, prepareVf0: false });
  const wires = Array.from({ length: PFS }, (_, k) => wireTapOf(k));
  const group = (i: number) => `g${i}`;
  const groups = Array.from({ length: GROUPS }, (_, i) => i);
  const pulled = 0;
  /** Frames on the wires not from a guest's MAC (the PFs' own), captured for the whole file. */
  const notTheGuests: Capture[] = [];
  lab.onTeardown(() => notTheGuests.forEach((capture) => capture.stop()));
  lab.onFailure(async () => `status: ${JSON.stringify(await lab.daemon?.status().catch(() => undefined))}`);
  let opened: { stats: Counters; wire: number[]; standbyTaps: number[] } | undefined;

  const config = () => ({
    dataplane: { filePrefix: 'vf-scale', workerCpus: [1] },
    control: { socket: `${L1_DAEMON_DIR}/control.sock` },
    // The pulled VF is tried again every 4 s at most once it is gone, so its return is quick.
    startup: { retryMaxMs: 4000 },
    groups: groups.map((i) => ({
      name: group(i),
      mac: guestMac(i),
      vhost: { socket: `${L1_DAEMON_DIR}/${group(i)}.sock`, mode: 'server' },
      primary: { devargs: lab.pfs[pfOf(i)].vfs[i % VFS_PER_PF] },
      standby: { devargs: `tap:sb${i}` },
    })),
  });
  const wireFrames = (k: number) => {
    const counters = lab.netns.counters(wires[k]);
    return counters.rxPackets + counters.rxDropped;
  };
  /** Frames the daemon wrote to each group's standby tap in L1 (the kernel's receptions). */
  const standbyTaps = async () =>
    (await lab.l1.runOk(groups.map((i) => `cat /sys/class/net/sb${i}/statistics/rx_packets`).join('; ')))
      .trim()
      .split('\n')
      .map(Number);
  const hugepagesUsedMiB = async () => {
    const meminfo = await lab.l1.runOk('cat /proc/meminfo');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(meminfo)![1]);
    return (field('HugePages_Total') - field('HugePages_Free')) * 2;
  };
  /** Each group's frames in one window, on its own PF's wire and on every other wire. */
  const framesByGroup = (sources: WireSources) =>
    groups.map((i) => {
      const own = sources.byWire[wires[pfOf(i)]].get(guestMac(i)) ?? 0;
      const elsewhere = wires
        .filter((_, k) => k !== pfOf(i))
        .reduce((sum, wire) => sum + (sources.byWire[wire].get(guestMac(i)) ?? 0), 0);
      return { own, elsewhere };
    });
  /** The window's counts of every group but the pulled one, and the pulled one's. */
  const printWindow = (what: string, sources: WireSources) => {
    const counts = framesByGroup(sources).map((c) => c.own);
    const others = counts.filter((_, i) => i !== pulled);
    console.log(
      `      ${what}: frames a group on its own PF's wire in ${WINDOW_MS / 1000} s: the other 31 min ${Math.min(...others)}, ` +
        `max ${Math.max(...others)}; ${group(pulled)} ${counts[pulled]}; all ${counts.reduce((a, b) => a + b, 0)}; ` +
        `tcpdump's own drops ${JSON.stringify(sources.droppedByCapture)}`,
    );
  };

  it('readies 32 VFs with one prepare-vf and starts 32 groups, each forwarding on its VF', async function () {
    const file = `${L1_CTL_DIR}/fleet.json`;
    const fleet = config();
    fs.writeFileSync(`${lab.l1.ctlDir}/fleet.json`, JSON.stringify(fleet));
    await lab.timed('prepare-vf of 32 VFs', () =>
      lab.l1.runOk(`cd ${L1_CHECKOUT} && node dist/src/cli.js prepare-vf --config ${file}`, 300000),
    );
    const hugepagesBeforeMiB = await hugepagesUsedMiB();
    lab.daemon = await lab.timed('daemon start (answers)', () => L1Daemon.start(lab.l1, fleet, 300000));
    await lab.timed('all 32 on their VFs', () =>
      waitFor(
        'every group on its VF',
        async () => (await lab.daemon!.status()).every((s) => s.activePath === 'primary' && s.primary.present),
        300000,
        2000,
      ),
    );
    const status = await lab.daemon.status();
    assert.strictEqual(status.length, GROUPS);
    const startMs = lab.daemon.logSpanMs('starting the data plane', 'daemon ready');
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(await lab.l1.runOk(`cat /proc/${lab.daemon.pid}/status`))![1]);
    const times = await lab.daemon.timedRequests('status', 5);
    console.log(
      `      daemon: EAL and 32 groups started in ${startMs} ms (its log); RSS ${(rssKiB / 1024).toFixed(1)} MiB with 32 groups; hugepages ${(await hugepagesUsedMiB()) - hugepagesBeforeMiB} MiB; ` +
        `status ${times.map((t) => t.ms.toFixed(1)).join(', ')} ms, ` +
        `${times[0].bytes} bytes`,
    );
  });

  describe('one testpmd in L1 as the guest of all 32', function () {
    before(async function () {
      const macs = groups.map(guestMac).map((mac) => `ether src ${mac}`);
      for (const wire of wires)
        notTheGuests.push(await Capture.start(lab.netns.name, wire, `not (${macs.join(' or ')})`, ['-Q', 'in']));
      opened = {
        stats: (await lab.daemon!.stats()).groups,
        wire: wires.map((_, k) => wireFrames(k)),
        standbyTaps: await standbyTaps(),
      };
      const vdevs = groups.map(
        (i) => `net_virtio_user${i},path=${L1_DAEMON_DIR}/${group(i)}.sock,mac=${guestMac(i)},queues=1`,
      );
      const app = ['--nb-cores=1', '--total-num-mbufs=32768', '--forward-mode=txonly', '--txpkts=64'];
      lab.guest = await lab.timed('guest of 32 start', () =>
        L1Testpmd.startWith(lab.l1, testpmdEal('vf-scale-guests', '0@0,1@0', vdevs), app, true),
      );
      await waitFor(
        'every guest connected',
        async () => (await lab.daemon!.status()).every((s) => s.guestConnected),
        60000,
        1000,
      );
      console.log(`      L1's hugepages in use with the guest: ${await hugepagesUsedMiB()} MiB`);
    });

    it("sends each group's frames through its own VF: each guest's MAC on its PF's wire, on no other", async function () {
      await waitFor(
        'every group sending on its VF',
        async () => Object.values((await lab.daemon!.stats()).groups).every((s) => s.txPackets.primary > 100),
        120000,
        2000,
      );
      const sources = await wireSourcesIn(lab.netns, wires, lab.dir, WINDOW_MS);
      printWindow('all 32 sending', sources);
      for (const [i, { own, elsewhere }] of framesByGroup(sources).entries()) {
        assert.ok(own > 0, `${group(i)}: no frame on ${wires[pfOf(i)]}`);
        assert.strictEqual(elsewhere, 0, `${group(i)}: frames on another PF's wire`);
      }
    });

    it('fails over only the group whose VF is pulled; the other 31 keep forwarding on their VFs', async function () {
      const before = (await lab.daemon!.stats()).groups;
      const vf = lab.pfs[pfOf(pulled)].vfs[pulled % VFS_PER_PF];
      const sinceMs = await lab.l1NowMs();
      const took = await lab.l1.runOk(
        `s=$(date +%s%3N); echo ${vf} > /sys/bus/pci/drivers/vfio-pci/unbind; echo $(( $(date +%s%3N) - s ))`,
        120000,
      );
      await waitFor(
        `${group(pulled)} on its standby`,
        async () => (await lab.daemon!.status()).find((s) => s.name === group(pulled))?.activePath === 'standby',
        60000,
        1000,
      );
      const sources = await wireSourcesIn(lab.netns, wires, lab.dir, WINDOW_MS);
      const after = (await lab.daemon!.stats()).groups;
      const status = await lab.daemon!.status();
      const switches = lab.daemon!.pathSwitches(sinceMs);
      console.log(
        `      ${vf} unbound from vfio-pci in ${took.trim()} ms (the daemon released it); switches since: ` +
          switches.map((s) => `${s.group} +${s.afterMs} ms ${s.from} -> ${s.to}: ${s.reason}`).join('; '),
      );
      printWindow(`after ${group(pulled)}'s VF was pulled`, sources);
      assert.deepStrictEqual(
        status.filter((s) => s.activePath !== 'primary').map((s) => s.name),
        [group(pulled)],
        'only the pulled group left its VF',
      );
      assert.deepStrictEqual(
        [...new Set(switches.map((s) => s.group))],
        [group(pulled)],
        'only the pulled group switched',
      );
      assert.strictEqual(status.find((s) => s.name === group(pulled))?.primary.present, false, 'the pulled VF closed');
      assert.ok(after[group(pulled)].txPackets.standby > before[group(pulled)].txPackets.standby);
      for (const [i, { own, elsewhere }] of framesByGroup(sources).entries()) {
        assert.strictEqual(elsewhere, 0, `${group(i)}: frames on another PF's wire`);
        if (i === pulled) continue;
        assert.ok(own > 0, `${group(i)}: no frame on its wire after ${group(pulled)}'s VF was pulled`);
        assert.deepStrictEqual(after[group(i)].switches, before[group(i)].switches, `${group(i)} switched paths`);
      }
    });

    it('takes the pulled VF back once it is on vfio-pci again, the other 31 undisturbed', async function () {
      const vf = lab.pfs[pfOf(pulled)].vfs[pulled % VFS_PER_PF];
      const sinceMs = await lab.l1NowMs();
      const before = (await lab.daemon!.stats()).groups;
      // Its driver_override still names vfio-pci (prepare-vf): a probe binds it there again.
      await lab.l1.runOk(`echo ${vf} > /sys/bus/pci/drivers_probe`);
      assert.strictEqual(await pciDriver(lab.l1, vf), 'vfio-pci');
      await waitFor(
        `${group(pulled)} back on its VF`,
        async () => (await lab.daemon!.status()).every((s) => s.activePath === 'primary' && s.primary.present),
        60000,
        1000,
      );
      const sources = await wireSourcesIn(lab.netns, wires, lab.dir, WINDOW_MS);
      const after = (await lab.daemon!.stats()).groups;
      const switches = lab.daemon!.pathSwitches(sinceMs);
      console.log(
        `      ${vf} on vfio-pci again; switches since: ` +
          switches.map((s) => `${s.group} +${s.afterMs} ms ${s.from} -> ${s.to}: ${s.reason}`).join('; '),
      );
      printWindow(`${group(pulled)} back on its VF`, sources);
      assert.deepStrictEqual(
        [...new Set(switches.map((s) => s.group))],
        [group(pulled)],
        'only the pulled group switched',
      );
      for (const [i, { own, elsewhere }] of framesByGroup(sources).entries()) {
        assert.ok(own > 0, `${group(i)}: no frame on ${wires[pfOf(i)]}`);
        assert.strictEqual(elsewhere, 0, `${group(i)}: frames on another PF's wire`);
        if (i !== pulled)
          assert.deepStrictEqual(after[group(i)].switches, before[group(i)].switches, `${group(i)} switched paths`);
      }
    });

    // Last: the guest stops.
    it('accounts for every guest frame: each PF wire carried what its VFs were handed, each standby tap its frames', async function () {
      await lab.stopGuest();
      let last = '';
      await waitFor(
        'the wires and the daemon to go quiet',
        async () => {
          const now = JSON.stringify([wires.map((_, k) => wireFrames(k)), await lab.daemon!.stats()]);
          const quiet = now === last;
          last = now;
          return quiet;
        },
        60000,
        2000,
      );
      const closed = { stats: (await lab.daemon!.stats()).groups, standbyTaps: await standbyTaps() };
      const open = opened!;
      for (const [k, wire] of wires.entries()) {
        const others = notTheGuests[k].lines().length;
        const carried = wireFrames(k) - open.wire[k] - others;
        const handed = groups
          .filter((i) => pfOf(i) === k)
          .reduce((sum, i) => sum + onPrimary(closed.stats[group(i)]) - onPrimary(open.stats[group(i)]), 0);
        console.log(
          `      ${wire}: its VFs were handed ${handed} frames, the wire carried ${carried} (${others} not a guest's)`,
        );
        assert.strictEqual(carried, handed, `${wire}: what its VFs were handed is not what it carried`);
      }
      for (const i of groups) {
        const [b, a] = [open.stats[group(i)], closed.stats[group(i)]];
        const tap = closed.standbyTaps[i] - open.standbyTaps[i];
        assert.strictEqual(tap, onStandby(a) - onStandby(b), `${group(i)}: its standby tap`);
        const ledger = books({ ...b, mbufsInUse: 0 }, { ...a, mbufsInUse: 0 }, onPrimary(a) - onPrimary(b) + tap);
        if (i === pulled || ledger.dropped)
          console.log(
            `      ${group(i)}${i === pulled ? ', VF pulled' : ''}: guest sent ${ledger.sent}, on the wire and its tap ` +
              `${ledger.arrived}, dropped and counted ${ledger.dropped} ${JSON.stringify(ledger.droppedByCause)}, ` +
              `lost silently ${ledger.lostSilently}`,
          );
        assert.strictEqual(ledger.lostSilently, 0, `${group(i)}: frames lost silently`);
      }
    });

    it("refuses a 33rd group with a VF (the ports DPDK holds are taken) and takes one whose uplinks are the daemon's taps", async function () {
      const extra = (primary: string) => ({
        name: 'g32',
        mac: guestMac(GROUPS),
        vhost: { socket: `${L1_DAEMON_DIR}/g32.sock`, mode: 'server' },
        primary: { devargs: primary },
        standby: { devargs: 'tap:sb32' },
      });
      const spareVf = lab.pfs[PFS - 1].vfs[VFS_PER_PF - 1];
      await assert.rejects(
        lab.daemon!.request('add-group', { config: extra(spareVf) }),
        /33 groups take 33 DPDK ports/,
      );
      await lab.daemon!.request('add-group', { config: extra('tap:pr32') });
      assert.strictEqual((await lab.daemon!.status()).length, GROUPS + 1);
      await lab.daemon!.request('remove-group', { group: 'g32' });
    });
  });
});
