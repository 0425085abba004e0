// The source VF's MAC once its guest has left (migrated away), with guestMac: set: VF 0 carries
// an administrator's MAC and is trusted (prepare-vf --trust), the daemon gives it the guest's, a
// testpmd guest comes and goes as a migrating guest leaves its source, and the PF's view of VF 0
// and frames from the wire show what the source host does with the guest's MAC afterwards: the
// administrator's MAC is back while the guest is away (the group kept), the guest's once a guest
// comes back, and the group's removal (as an orchestrator removes a migrated VM's group) leaves
// the administrator's. `npm run test:vf`.
import assert from 'assert';
import { waitFor } from '../../lab/wait';
import { useVfLab, WIRE_TAP } from '../../lab/vf/l1-fixture';
import { pfVfSettings } from '../../lab/vf/sriov';
import { sendWireFrames } from '../../lab/vf/wire-frames';
import { receivedFromWire } from '../../lab/vf/wire-receptions';

const GUEST_MAC = '52:54:00:00:0f:07';
const ADMIN_MAC = '02:00:00:00:0a:07';
const WIRE_PEER_MAC = '02:00:00:00:0b:07';
const FRAMES = 200;

describe("the source VF's MAC after its guest has left (guestMac: set)", function () {
  this.timeout(600000);
  const lab = useVfLab({ name: 'vf-srcmac', guestMac: GUEST_MAC, prepareVf0: false });
  const seen: Record<string, unknown> = {};
  const vf0Mac = async () => (await pfVfSettings(lab.l1, lab.pf, 0)).mac;
  /** Of FRAMES sent from the wire to `mac`, how many VF 0 took (delivered or dropped by the daemon). */
  const reachingVf0 = async (mac: string) =>
    (
      await receivedFromWire(lab.netns, WIRE_TAP, lab.daemon!, 'vm1', FRAMES, () =>
        sendWireFrames(lab.netns, WIRE_TAP, WIRE_PEER_MAC, mac, FRAMES),
      )
    ).primary;

  before(async function () {
    // The administrator's MAC on VF 0, trusted so that the daemon may replace it.
    await lab.timed('prepare-vf', () => lab.prepareVf0(' --trust', ADMIN_MAC));
  });

  after(function () {
    console.log(`      measured: ${JSON.stringify(seen)}`);
  });

  it("gives VF 0 the guest's MAC in place of its administrator's; VF 0 takes the guest's frames", async function () {
    await lab.startDaemon({ primary: { guestMac: 'set' } });
    await lab.onPrimary();
    await lab.startGuest('rxonly');
    seen.vf0MacWithGuest = await vf0Mac();
    seen.toGuestWithGuest = await reachingVf0(GUEST_MAC);
    assert.strictEqual(seen.vf0MacWithGuest, GUEST_MAC);
    assert.strictEqual(seen.toGuestWithGuest, FRAMES);
  });

  /** Waits until the PF shows `mac` on VF 0 (it takes the VF's request from its mailbox when it gets to it: seconds under TCG); returns how long that took. */
  const vf0MacBecomes = async (mac: string, sinceMs: number) => {
    await waitFor(`${mac} on VF 0`, async () => (await vf0Mac()) === mac, 30000, 500).catch(() => undefined);
    return Date.now() - sinceMs;
  };

  it("gives VF 0 its administrator's MAC back once the guest left and the group stays: the guest's frames no longer reach VF 0", async function () {
    const leftAt = Date.now();
    await lab.stopGuest();
    await waitFor('the guest gone', async () => (await lab.vm1()).guestConnected === false, 30000, 500);
    seen.adminMacAfterGuestLeftMs = await vf0MacBecomes(ADMIN_MAC, leftAt);
    seen.vf0MacAfterGuestLeft = await vf0Mac();
    seen.toGuestAfterGuestLeft = await reachingVf0(GUEST_MAC);
    assert.strictEqual(seen.vf0MacAfterGuestLeft, ADMIN_MAC);
    assert.strictEqual(seen.toGuestAfterGuestLeft, 0);
    assert.match(lab.daemon!.log, /primary given its own MAC back/);
  });

  it("gives VF 0 the guest's MAC again when a guest comes back to the group; VF 0 takes its frames", async function () {
    const cameAt = Date.now();
    await lab.startGuest('rxonly');
    seen.guestMacAfterGuestCameMs = await vf0MacBecomes(GUEST_MAC, cameAt);
    seen.vf0MacAfterGuestCame = await vf0Mac();
    seen.toGuestAfterGuestCame = await reachingVf0(GUEST_MAC);
    assert.strictEqual(seen.vf0MacAfterGuestCame, GUEST_MAC);
    assert.strictEqual(seen.toGuestAfterGuestCame, FRAMES);
    await lab.stopGuest(); // the group is removed with its guest away, as after a migration
    await waitFor('the guest gone', async () => (await lab.vm1()).guestConnected === false, 30000, 500);
  });

  it("leaves VF 0 its administrator's MAC when the group is removed", async function () {
    const removedAt = Date.now();
    await lab.daemon!.request('remove-group', { group: 'vm1' });
    // The PF takes the VF's request from its mailbox when it gets to it (seconds under TCG).
    await waitFor("the administrator's MAC on VF 0", async () => (await vf0Mac()) === ADMIN_MAC, 30000, 1000).catch(
      () => undefined,
    );
    seen.vf0MacAfterRemoval = await vf0Mac();
    seen.restoredAfterMs = Date.now() - removedAt;
    assert.strictEqual(seen.vf0MacAfterRemoval, ADMIN_MAC);
  });
});
