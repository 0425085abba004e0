// As many groups as one daemon holds, their guests one testpmd process (lab/group-fleet.ts),
// each group's primary a DPDK port (net_tap, a VF's stand-in) and its standby the daemon's own
// tap: the number is the daemon's own (it adds groups until it refuses one, up to what one
// testpmd can be the guest of; 32 such groups take every DPDK port, and one more is refused),
// one group's primary is pulled under the load of all the others, and groups are removed and
// added while the others forward. Every guest frame is sent or counted, and the other groups
// never notice.
import { strict as assert } from 'assert';
import type { GroupStatsReply } from '../../src/control/protocol';
import { GUEST_PORTS_MAX, GroupFleet, type FleetGroup } from '../../lab/group-fleet';
import { books } from '../../lab/ledger';
import { waitFor } from '../../lab/wait';

type Counters = Record<string, GroupStatsReply>;

/**
 * Waits until no group takes frames from its guest any more (the guests were stopped) and none
 * has an announcement round still to come: then the daemon's counters and the taps' agree.
 */
async function trafficStopped(fleet: GroupFleet): Promise<Counters> {
  let last = -1;
  return waitFor(
    'the guests to stop and the announcements to end',
    async () => {
      const announcing = (await fleet.daemon.status()).some((status) => status.announcing);
      const stats = await fleet.stats();
      const dequeued = Object.values(stats).reduce((sum, s) => sum + s.guestDequeued, 0);
      const still = dequeued === last;
      last = dequeued;
      return still && !announcing && stats;
    },
    15000,
    100,
  );
}

/** Waits until each of `groups` has sent `by` more frames on its primary than in `since`. */
async function primariesRise(fleet: GroupFleet, groups: FleetGroup[], since: Counters, when: string, by = 1000) {
  await waitFor(
    `every other group forwarding on its primary ${when}`,
    async () => {
      const stats = await fleet.stats();
      return groups.every((g) => stats[g.name].txPackets.primary > since[g.name].txPackets.primary + by);
    },
    15000,
    50,
  );
}

describe('scale: the most groups one daemon holds, a DPDK primary each, one testpmd as every guest (real DPDK)', function () {
  let fleet: GroupFleet | undefined;

  afterEach(async function () {
    await fleet?.stop();
    fleet = undefined;
  });

  it('loses no frame silently across a pulled primary and groups removed and added under the others', async function () {
    fleet = await GroupFleet.start();
    const f = fleet;
    const filling = await f.fill(GUEST_PORTS_MAX);
    console.log(
      `      ${filling.added} groups (${f.form} uplinks)` +
        (filling.refusal ? `; the daemon refused one more: ${filling.refusal}` : `, as many as one testpmd holds`),
    );
    assert.equal(filling.added, GUEST_PORTS_MAX, `only ${filling.added} groups: ${filling.refusal}`);
    await assert.rejects(
      f.addGroup(GUEST_PORTS_MAX),
      /33 groups take 33 DPDK ports .* more than the 32 this DPDK holds \(RTE_MAX_ETHPORTS\)/,
    );
    const all = f.groups.slice();
    const [pulled, churned] = [all[0], all[all.length - 1]];
    const steady = all.filter((g) => g !== pulled && g !== churned);

    const guests = await f.startGuests();
    await waitFor(
      'every group forwarding on its primary',
      async () => {
        const stats = await f.stats();
        return all.every((g) => stats[g.name].txPackets.primary > 1000);
      },
      20000,
      50,
    );
    // The books open with no frame in flight.
    await guests.command('stop');
    const before = await trafficStopped(f);
    const tapsBefore = all.map((g) => f.tapsReceived(g));
    await guests.command('start');
    await primariesRise(f, all, before, 'once the guests send again');

    let since = await f.stats();
    f.netns.setLink(pulled.primaryTap, 'down');
    await waitFor(
      `${pulled.name} on its standby`,
      async () => (await f.daemon.status()).find((s) => s.name === pulled.name)?.activePath === 'standby',
    );
    await waitFor(
      `${pulled.name}'s frames on its standby`,
      async () => (await f.stats())[pulled.name].txPackets.standby > 1000,
    );
    await primariesRise(f, steady, since, `after ${pulled.name}'s primary was pulled`);

    since = await f.stats();
    const churnedIndex = all.indexOf(churned);
    await f.removeGroup(churnedIndex);
    await primariesRise(f, steady, since, `while ${churned.name} was removed`);
    since = await f.stats();
    await f.addGroup(churnedIndex);
    await primariesRise(f, steady, since, `while ${churned.name} was added again`);
    since = await f.stats();
    await f.removeGroup(churnedIndex);
    await primariesRise(f, steady, since, `while ${churned.name} was removed again`);

    await guests.command('stop');
    const after = await trafficStopped(f);
    for (const [i, g] of all.entries()) {
      if (g === churned) continue;
      const b = books(
        { ...before[g.name], mbufsInUse: 0 },
        { ...after[g.name], mbufsInUse: 0 },
        f.tapsReceived(g) - tapsBefore[i],
      );
      if (g === pulled)
        console.log(
          `      ${g.name}, primary pulled: guest sent ${b.sent}, taps got ${b.arrived}, dropped and counted ` +
            `${b.dropped} (${JSON.stringify(b.droppedByCause)}), lost silently ${b.lostSilently}`,
        );
      assert.equal(b.lostSilently, 0, `${g.name}: frames lost silently`);
      if (g === pulled) continue;
      assert.equal(b.dropped, 0, `${g.name}: frames dropped: ${JSON.stringify(b.droppedByCause)}`);
      assert.equal(b.onUplink.standby, 0, `${g.name}: frames on its standby`);
    }
    const statuses = await f.daemon.status();
    assert.deepEqual(
      statuses.filter((s) => s.activePath !== 'primary').map((s) => s.name),
      [pulled.name],
      'only the pulled group may have left its primary',
    );
  });
});
