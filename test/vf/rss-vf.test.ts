// Multi-queue on a real SR-IOV VF: a group with queues: 2 on the emulated 82576's VF 0 (the VF has
// 2 queue pairs), and IPv4 UDP flows from the PF's wire, counted per queue by the daemon's workers
// (worker-stats: the frames each group queue's passes moved). The emulated VF does no RSS: every
// flow arrives on queue 0, as the PF's driver sets it up and after its table names both queues.
// Not part of the default suite: `npm run test:vf`.
import assert from 'assert';
import { useVfLab, WIRE_TAP } from '../../lab/vf/l1-fixture';
import { sendWireUdpFlows } from '../../lab/vf/wire-frames';
import { receivedFromWire } from '../../lab/vf/wire-receptions';

const GUEST_MAC = '52:54:00:00:0f:04';
const FLOWS = 16;
/** 160 frames: fewer than one receive ring of VF 0 holds (see sriov-vf.test.ts). */
const FRAMES_PER_FLOW = 10;

describe('a group with 2 queue pairs on a real SR-IOV VF: where the wire’s flows arrive', function () {
  this.timeout(600000);
  const lab = useVfLab({ name: 'vf-rss', guestMac: GUEST_MAC });

  /** Frames each of the group's queues moved so far, queue 0 first. */
  const framesPerQueue = async () => {
    const { workers } = await lab.daemon!.request('worker-stats');
    const perQueue = [0, 0];
    for (const unit of workers.flatMap((worker) => worker.pollUnits))
      if (unit.group === 'vm1') perQueue[unit.queue] += unit.frames;
    return perQueue;
  };

  before(async function () {
    await lab.startDaemon({ group: { queues: 2 } });
    await lab.onPrimary();
  });

  /** Frames of 16 UDP flows VF 0 took on each of its queues; every frame arrives. */
  const spreadOfFlows = async () => {
    const before = await framesPerQueue();
    const total = FLOWS * FRAMES_PER_FLOW;
    const taken = await receivedFromWire(lab.netns, WIRE_TAP, lab.daemon!, 'vm1', total, () =>
      sendWireUdpFlows(lab.netns, WIRE_TAP, '02:00:00:00:0b:04', GUEST_MAC, FLOWS, FRAMES_PER_FLOW),
    );
    assert.deepStrictEqual(taken, { primary: total, standby: 0 });
    const after = await framesPerQueue();
    const perQueue = after.map((frames, queue) => frames - before[queue]);
    assert.strictEqual(perQueue[0] + perQueue[1], total);
    return perQueue;
  };
  const pfRss = async () =>
    (await lab.l1.runOk(`ethtool -l ${lab.pf.netdev} | tail -2; ethtool -x ${lab.pf.netdev} | sed -n 2,3p`)).trim();

  // Measured: the kernel's igb PF with VFs leaves its RSS indirection table all queue 0, and the
  // emulated 82576's VF takes every flow on its queue 0 even once the PF's table names both queues.
  it('opens VF 0 with 2 queue pairs and receives every frame of 16 flows; the emulated VF puts them all on queue 0', async function () {
    const status = await lab.vm1();
    assert.strictEqual(status.queues, 2);
    const asBooted = await spreadOfFlows();
    console.log(
      `      16 UDP flows: ${asBooted.join(' and ')} frames on VF 0's queues 0 and 1; the PF:\n${await pfRss()}`,
    );
    await lab.l1.runOk(`ethtool -X ${lab.pf.netdev} equal 2`);
    const spreadTable = await spreadOfFlows();
    const xstats = await lab.daemon!.request('port-xstats', { group: 'vm1', port: 'primary' });
    const queueXstats = xstats.xstats.filter((x) => /q\d/.test(x.name) && x.value > 0);
    console.log(
      `      after ethtool -X PF equal 2: ${spreadTable.join(' and ')}; the PF:\n${await pfRss()}\n` +
        `      igbvf's own per-queue counters: ${JSON.stringify(queueXstats)}`,
    );
    const total = FLOWS * FRAMES_PER_FLOW;
    assert.deepStrictEqual({ asBooted, spreadTable }, { asBooted: [total, 0], spreadTable: [total, 0] });
  });
});
