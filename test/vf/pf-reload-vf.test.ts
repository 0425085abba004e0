// The PF's driver reloaded, and VF 0 reset in place by its function reset, while the daemon runs
// VF 0 as group vm1's primary under a testpmd guest's traffic (the VF lab: an emulated 82576 in
// L1, the kernel's igb PF driver, VF 0 on vfio-pci under DPDK's igbvf). Each fault must move the
// guest to the standby with every frame the daemon took from the guest counted, leave the daemon
// running and saying why, and the VF must come back into service the way an operator brings it
// back: after a reload, the VFs re-created and VF 0 readied again (prepare-vf), then the daemon's
// retry or an `attach`. Then VF 0's function reset with the guest idle: the failback's
// announcement is VF 0's only traffic, and must show it dead. Not part of the default suite:
// `npm run test:vf`.
import assert from 'assert';
import type { GroupStatsReply } from '../../src/control/protocol';
import { Capture } from '../../lab/capture';
import { waitFor } from '../../lab/wait';
import { useVfLab, WIRE_TAP } from '../../lab/vf/l1-fixture';
import { sendWireFrames } from '../../lab/vf/wire-frames';
import { receivedFromWire } from '../../lab/vf/wire-receptions';

const GUEST_MAC = '52:54:00:00:0f:06';
const WIRE_PEER_MAC = '02:00:00:00:0b:06';
/** The retry's longest wait: short, so that a VF back in L1 is taken within seconds. */
const RETRY_MAX_MS = 4000;

type Stats = GroupStatsReply;
const sum = (perPath: { primary: number; standby: number }) => perPath.primary + perPath.standby;
/** Every guest frame the daemon took, by where it went: sent on an uplink or dropped and counted. */
const accountedFor = (s: Stats) =>
  sum(s.txPackets) +
  sum(s.txDroppedFull) +
  s.txDroppedNoPath +
  s.txDroppedRunt +
  s.txDroppedOversize +
  s.txDroppedSpoofed;
const toVf0 = (s: Stats) => s.txPackets.primary + s.announcementsSent.primary + s.garpsSent.primary;

describe("a real SR-IOV VF's PF driver reloaded and the VF reset in place, under traffic", function () {
  this.timeout(900000);
  const lab = useVfLab({ name: 'vf-reload', guestMac: GUEST_MAC });
  /** Frames on the wire from L1 that are not the guest's (the PF's own). */
  let notTheGuests: Capture | undefined;
  let wireAtStart = 0;
  const measured: Record<string, unknown> = {};

  const stats = async () => (await lab.daemon!.stats()).groups.vm1;
  /** Waits until the guest's frames leave through VF 0 again, and returns how long that took. */
  const backOnVf0 = async (sinceMs: number) => {
    await waitFor(
      'VF 0 back in service, and frames on the wire',
      async () => (await lab.activePath()) === 'primary' && (await lab.wireFramesIn(2000)) > 500,
      180000,
      1000,
    );
    return Date.now() - sinceMs;
  };
  /** The path switches and drops of one fault, for the report. */
  const faultReport = async (sinceL1Ms: number, before: Stats) => {
    const after = await stats();
    return {
      switches: lab.daemon!.pathSwitches(sinceL1Ms).map((s) => `+${s.afterMs} ms ${s.from} -> ${s.to}: ${s.reason}`),
      refusedByVf0: after.txDroppedFull.primary - before.txDroppedFull.primary,
      noPath: after.txDroppedNoPath - before.txDroppedNoPath,
      onStandby: after.txPackets.standby - before.txPackets.standby,
    };
  };

  before(async function () {
    lab.onFailure(async () => `status: ${JSON.stringify(await lab.daemon?.status().catch(() => undefined))}`);
    lab.onFailure(async () => `dmesg:\n${(await lab.l1.run('dmesg | tail -40')).stdout}`);
    notTheGuests = await Capture.start(lab.netns.name, WIRE_TAP, `not ether src ${GUEST_MAC}`, ['-Q', 'in']);
    lab.onTeardown(() => notTheGuests?.stop());
    wireAtStart = lab.wireFrames();
    await lab.startDaemon({ config: { startup: { retryMaxMs: RETRY_MAX_MS }, failover: { failbackDelayMs: 1000 } } });
    await lab.startGuest('txonly', { peerMac: WIRE_PEER_MAC, txIp: ['198.18.0.2', '198.18.0.99'] });
    await lab.onPrimary();
    assert.ok((await lab.wireFramesIn(3000)) > 500, "the VF's frames on the wire");
  });

  after(function () {
    console.log(`      measured: ${JSON.stringify(measured, null, 2).replace(/\n/g, '\n      ')}`);
  });

  it("fails over when the PF's driver is unloaded (modprobe -r igb), and takes VF 0 back once it is reloaded and VF 0 readied", async function () {
    const before = await stats();
    const sinceL1Ms = await lab.l1NowMs();
    const unloadMs = Number(
      (await lab.l1.runOk('s=$(date +%s%3N); modprobe -r igb; echo $(( $(date +%s%3N) - s ))', 120000)).trim(),
    );
    assert.ok(unloadMs < 10000, `modprobe -r igb waited ${unloadMs} ms for the daemon to release VF 0`);
    const status = await lab.vm1();
    assert.strictEqual(status.activePath, 'standby');
    assert.strictEqual(status.primary.present, false);
    assert.ok(await lab.daemon!.alive(), 'the daemon runs on');
    assert.match(lab.daemon!.log, /primary device removed/);
    assert.ok((await stats()).txPackets.standby > before.txPackets.standby, 'the guest carried on the standby');

    const reloadStart = Date.now();
    await lab.createVfs(); // modprobe igb, the PF up, its VFs again
    await lab.prepareVf0();
    const readiedMs = Date.now() - reloadStart;
    const backMs = await backOnVf0(reloadStart);
    measured.pfDriverReload = {
      unloadMs,
      vfsRecreatedAndReadiedMs: readiedMs,
      backOnVf0AfterReloadStartMs: backMs,
      ...(await faultReport(sinceL1Ms, before)),
    };
  });

  it('fails over when VF 0 is reset in place (its PCI function reset), and takes it back', async function () {
    const before = await stats();
    const sinceL1Ms = await lab.l1NowMs();
    const resetStart = Date.now();
    await lab.l1.runOk(`echo 1 > /sys/bus/pci/devices/${lab.pf.vfs[0]}/reset`, 60000);
    await waitFor(
      'the guest on the standby',
      async () => (await lab.activePath()) === 'standby' || lab.daemon!.pathSwitches(sinceL1Ms).length > 0,
      30000,
      500,
    );
    const backMs = await backOnVf0(resetStart);
    assert.ok(await lab.daemon!.alive(), 'the daemon runs on');
    const report = await faultReport(sinceL1Ms, before);
    measured.vfFunctionReset = { backOnVf0AfterResetMs: backMs, ...report };
    assert.ok(
      report.switches.some((s) => /-> standby/.test(s)),
      'the reset moved the guest to the standby',
    );
  });

  // The guest stops, and the books of the traffic close.
  it('counts every frame the daemon took from the guest; what VF 0 did not put on the wire is counted as lost in its ring', async function () {
    await lab.stopGuest();
    await lab.wireQuiet();
    const s = await stats();
    const carried = lab.wireFrames() - wireAtStart - notTheGuests!.lines().length;
    measured.books = {
      guestDequeued: s.guestDequeued,
      accountedFor: accountedFor(s),
      onVf0: s.txPackets.primary,
      onStandby: s.txPackets.standby,
      refusedByVf0: s.txDroppedFull.primary,
      noPath: s.txDroppedNoPath,
      handedVf0: toVf0(s),
      onTheWire: carried,
      handedVf0NotOnTheWire: toVf0(s) - carried,
      lostInRing: s.txLostInRing,
      switches: s.switches,
    };
    assert.strictEqual(accountedFor(s), s.guestDequeued, 'a guest frame the daemon took and did not count');
    // What VF 0 took and never sent (a ring the function reset disabled) is counted when its port
    // is closed: every frame handed VF 0 is on the wire or counted as lost in its ring.
    assert.strictEqual(toVf0(s) - carried, s.txLostInRing, 'frames handed VF 0 neither on the wire nor counted');
  });

  it("takes an idle VF 0 out of service after its function reset: the failback's announcement is not sent, and VF 0 comes back receiving", async function () {
    await lab.startGuest('rxonly'); // connected, sends nothing
    await lab.onPrimary();
    const sinceL1Ms = await lab.l1NowMs();
    const resetStart = Date.now();
    await lab.l1.runOk(`echo 1 > /sys/bus/pci/devices/${lab.pf.vfs[0]}/reset`, 60000);
    await waitFor(
      'a failback onto VF 0 and its transmit check',
      () => lab.daemon!.pathSwitches(sinceL1Ms).some((s) => s.reason.includes('tx stalled')),
      60000,
      500,
    );
    const switches = lab.daemon!.pathSwitches(sinceL1Ms);
    const stalled = switches.findIndex((s) => s.reason.includes('tx stalled'));
    const failback = [...switches.slice(0, stalled)].reverse().find((s) => s.to === 'primary');
    await waitFor(
      'VF 0 back in service',
      async () => (await lab.activePath()) === 'primary' && (await lab.vm1()).primary.present,
      180000,
      1000,
    );
    const backMs = Date.now() - resetStart;
    const received = await receivedFromWire(lab.netns, WIRE_TAP, lab.daemon!, 'vm1', 200, () =>
      sendWireFrames(lab.netns, WIRE_TAP, WIRE_PEER_MAC, GUEST_MAC, 200),
    );
    measured.idleVfFunctionReset = {
      switches: switches.map((s) => `+${s.afterMs} ms ${s.from} -> ${s.to}: ${s.reason}`),
      onVf0AfterFailbackMs: failback && switches[stalled].afterMs - failback.afterMs,
      backOnVf0AfterResetMs: backMs,
      fromTheWireAfter: received,
    };
    assert.ok(failback, 'the stall followed a failback onto VF 0');
    assert.ok(switches[stalled].afterMs - failback.afterMs < 1000, 'VF 0 held the group a second or more');
    assert.strictEqual(received.primary, 200, 'frames from the wire reach the guest through VF 0 again');
  });
});
