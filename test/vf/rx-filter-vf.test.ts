// The guest's receive filter on a real SR-IOV VF: the daemon reads the guest NIC's multicast list
// and VLANs over QMP (here from a stand-in answering as QEMU would, lab/vf/l1-qmp-standin.ts: the
// lab's guest is testpmd, which has no QEMU) and programs VF 0 with them through DPDK's igbvf PMD,
// whose requests go through the VF's mailbox to the kernel's igb PF driver, which writes the
// emulated 82576's filter tables. Frames from the PF's wire show what the filter lets through,
// before the guest's filter is known and after. The guest is testpmd in macswap mode: what it
// received goes back out through VF 0 to the wire, so the wire shows each frame's tag as the guest
// got it.
// Not part of the default suite: `npm run test:vf`.
import assert from 'assert';
import { Capture } from '../../lab/capture';
import { waitFor } from '../../lab/wait';
import { L1_DAEMON_DIR } from '../../lab/vf/l1-daemon';
import { useVfLab, WIRE_TAP } from '../../lab/vf/l1-fixture';
import type { L1Process } from '../../lab/vf/l1-process';
import { startQmpStandin } from '../../lab/vf/l1-qmp-standin';
import { sendWireFrames } from '../../lab/vf/wire-frames';
import { receivedFromWire } from '../../lab/vf/wire-receptions';

const GUEST_MAC = '52:54:00:00:0f:03';
const WIRE_PEER_MAC = '02:00:00:00:0b:03';
const QMP_SOCKET = `${L1_DAEMON_DIR}/qmp.sock`;
// Different hashes in the 82576's 4096-bit multicast table (bits 47:36 of the address).
const JOINED_GROUP = '01:00:5e:01:02:03';
const OTHER_GROUP = '01:00:5e:7f:00:99';
const GUEST_VLAN = 100;
const OTHER_VLAN = 200;
/** Fewer than VF 0's receive ring holds (see sriov-vf.test.ts). */
const FRAMES = 200;

describe("the guest's VLANs and multicast list programmed on a real SR-IOV VF, filtering the wire", function () {
  this.timeout(600000);
  const lab = useVfLab({ name: 'vf-rx', guestMac: GUEST_MAC });
  let qmp: L1Process | undefined;
  let echoes: Capture | undefined;
  const seen: Record<string, number> = {};

  /** The guest's echoes on the wire so far, by the VLAN they carry ('untagged' for none). */
  const echoesByVlan = () => {
    const counts: Record<string, number> = {};
    for (const line of echoes!.lines()) {
      const vlan = /vlan (\d+)/.exec(line)?.[1] ?? 'untagged';
      counts[vlan] = (counts[vlan] ?? 0) + 1;
    }
    return counts;
  };
  /** Frames VF 0 handed the daemon of FRAMES sent to `destination` (tagged with `vlan` unless 0). */
  const reachingVf0 = async (label: string, destination: string, vlan = 0) => {
    const taken = await receivedFromWire(lab.netns, WIRE_TAP, lab.daemon!, 'vm1', FRAMES, () =>
      sendWireFrames(lab.netns, WIRE_TAP, WIRE_PEER_MAC, destination, FRAMES, vlan),
    );
    seen[label] = taken.primary;
    assert.strictEqual(taken.standby, 0, 'nothing reaches the standby from the PF');
    return taken.primary;
  };
  const vm1 = () => lab.vm1();

  before(async function () {
    await lab.startDaemon({ group: { qmp: { socket: QMP_SOCKET, device: 'net0' } } });
    await lab.onPrimary();
    await lab.startGuest('macswap');
    echoes = await Capture.start(lab.netns.name, WIRE_TAP, `ether src ${GUEST_MAC} and ether dst ${WIRE_PEER_MAC}`);
    lab.onTeardown(() => echoes?.stop());
    lab.onTeardown(() => qmp?.stop());
  });

  after(function () {
    console.log(`      frames of ${FRAMES} that reached VF 0: ${JSON.stringify(seen)}`);
  });

  /** Frames of FRAMES that reach VF 0 for each kind of frame the filter decides on. */
  const reachingEach = async (phase: string) => ({
    joinedGroup: await reachingVf0(`${phase}: ${JOINED_GROUP}`, JOINED_GROUP),
    otherGroup: await reachingVf0(`${phase}: ${OTHER_GROUP}`, OTHER_GROUP),
    guestVlan: await reachingVf0(`${phase}: VLAN ${GUEST_VLAN}`, GUEST_MAC, GUEST_VLAN),
    otherVlan: await reachingVf0(`${phase}: VLAN ${OTHER_VLAN}`, GUEST_MAC, OTHER_VLAN),
    untagged: await reachingVf0(`${phase}: untagged`, GUEST_MAC),
  });
  /** What the PF's driver said of VF 0's requests (refusals are logged there). */
  const pfLog = async () => (await lab.l1.runOk('dmesg | grep -i " vf" | tail -20')).trim();

  // Measured: the emulated VF then passes no multicast frame and no tagged one. igbvf has no
  // switch for its VLAN filter: the port is configured with it, so before the guest's VLANs are
  // known no VLAN is programmed and status says tagged frames do not pass.
  it("before the guest's filter is known: all multicast asked of VF 0, no VLAN programmed, unicast passes", async function () {
    const status = await vm1();
    assert.strictEqual(status.guestRxFilter?.qmp, 'waiting');
    assert.strictEqual(status.primary.rxFilter.multicast, 'all');
    assert.match(status.primary.rxFilter.vlan, /^untagged only; tagged frames do not pass/);
    assert.deepStrictEqual(status.standby.rxFilter, { multicast: 'all', vlan: 'all' });
    const reached = await reachingEach('unknown filter');
    const echoed = echoesByVlan();
    console.log(
      `      VF 0's filter: ${JSON.stringify(status.primary.rxFilter)}\n` +
        `      reached VF 0 of ${FRAMES} each: ${JSON.stringify(reached)}; the guest's echoes: ${JSON.stringify(echoed)}\n` +
        `      the PF's log:\n${await pfLog()}`,
    );
    assert.strictEqual(reached.untagged, FRAMES);
    assert.deepStrictEqual(
      { joinedGroup: reached.joinedGroup, otherGroup: reached.otherGroup },
      { joinedGroup: 0, otherGroup: 0 },
      'all multicast asked of the emulated VF, none arrives',
    );
    assert.deepStrictEqual(
      { guestVlan: reached.guestVlan, otherVlan: reached.otherVlan },
      { guestVlan: 0, otherVlan: 0 },
    );
  });

  it(`the guest joined ${JOINED_GROUP} and VLAN ${GUEST_VLAN}: both programmed through the mailbox, filtering`, async function () {
    qmp = await startQmpStandin(lab.l1, QMP_SOCKET, 'net0', { multicast: [JOINED_GROUP], vlans: [GUEST_VLAN] });
    await waitFor(
      "the guest's filter on VF 0",
      async () => (await vm1()).guestRxFilter?.filter.vlanFiltering === true,
      30000,
      1000,
    );
    const status = await vm1();
    console.log(
      `      VF 0 took the filter as ${JSON.stringify(status.primary.rxFilter)}, ` +
        `the standby as ${JSON.stringify(status.standby.rxFilter)}`,
    );
    const echoedBefore = echoesByVlan();
    const reached = await reachingEach('guest filter');
    const echoedNow = echoesByVlan();
    const echoed = (vlan: string) => (echoedNow[vlan] ?? 0) - (echoedBefore[vlan] ?? 0);
    const guestGot = { [GUEST_VLAN]: echoed(String(GUEST_VLAN)), [OTHER_VLAN]: echoed(String(OTHER_VLAN)) };
    console.log(
      `      reached VF 0 of ${FRAMES} each: ${JSON.stringify(reached)}; the guest's echoes by VLAN: ${JSON.stringify(guestGot)}, ` +
        `untagged ${echoed('untagged')}\n      the PF's log:\n${await pfLog()}`,
    );
    assert.deepStrictEqual(status.primary.rxFilter, { multicast: 'list of 1', vlan: 'list of 1' });
    assert.strictEqual(reached.joinedGroup, FRAMES, 'the joined group reaches VF 0');
    assert.strictEqual(reached.otherGroup, 0, 'another group does not');
    assert.strictEqual(reached.untagged, FRAMES);
    assert.strictEqual(reached.guestVlan, FRAMES, "the guest's VLAN reaches VF 0");
    assert.strictEqual(reached.otherVlan, 0, 'another VLAN does not');
    // The PF strips the tag for the VF; the guest must still get the frame tagged.
    assert.strictEqual(guestGot[GUEST_VLAN], FRAMES, "the guest got its VLAN's frames tagged, and echoed them");
    assert.strictEqual(guestGot[OTHER_VLAN], 0);
  });
});
