// The own tap (tap:NAME) against DPDK's net_tap as the transmitting uplink, guest -> network:
// a testpmd VM sends 64-byte frames as fast as the path takes them, and the tap's kernel side
// counts what it received over a window. Rounds alternate which kind goes first, and the result
// is each round's ratio, own over net_tap, measured minutes apart at most (docs/lab/benchmarks.md:
// a neighbour on this machine only takes time away, so compare ratios, not rates).
//
//   node dist/bench/tap-uplinks.js [rounds] [windowMs]     (under the lab lock)
import { labConfig, Topology, type TapKind } from '../lab/topology';
import { waitFor } from '../lab/wait';
import { median } from './stats';

async function measure(kind: TapKind, windowMs: number): Promise<number> {
  const topology = await Topology.start(labConfig({ primaryTap: kind }));
  try {
    await topology.waitForActivePath('primary');
    await topology.startSender();
    const received = () => topology.netns.counters(topology.primaryTap).rxPackets;
    await waitFor('frames on the primary tap', () => received() > 10000, 10000);
    const before = received();
    const startedAt = process.hrtime.bigint();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const frames = received() - before;
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    return frames / seconds / 1e6;
  } finally {
    await topology.stop();
  }
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  const windowMs = Number(process.argv[3] ?? 3000);
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const order: TapKind[] = round % 2 === 0 ? ['own', 'net_tap'] : ['net_tap', 'own'];
    const mpps: Partial<Record<TapKind, number>> = {};
    for (const kind of order) mpps[kind] = await measure(kind, windowMs);
    ratios.push(mpps.own! / mpps.net_tap!);
    console.log(
      `round ${round + 1} (${order.join(' then ')}): own tap ${mpps.own!.toFixed(3)} Mpps, net_tap ${mpps.net_tap!.toFixed(3)} Mpps, own/net_tap ${ratios[round].toFixed(2)}`,
    );
  }
  console.log(
    `median own/net_tap over ${rounds} rounds: ${median(ratios).toFixed(2)} (${ratios.map((r) => r.toFixed(2)).join(', ')})`,
  );
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
