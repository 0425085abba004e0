// Failover quality: a testpmd VM sends 64-byte frames as fast as the tap path carries them, the
// primary's cable is pulled (`ip link set <tap> down`), and every frame is accounted for by the
// lab's ledger (./ledger.ts).
import { openLedger, type Books } from './ledger';
import { BRIDGE, Topology, labConfig, type TopologyOptions } from './topology';
import { waitFor } from './wait';

/** Cumulative frames sent on each uplink, read from the daemon while traffic flows. */
export interface TxSample {
  tMs: number;
  primary: number;
  standby: number;
}

export interface FailoverLossResult {
  linkPollIntervalUs: number;
  ratePps: number;
  books: Books;
  switchAfterPullStartUs: number;
  switchAfterPullEndUs: number;
  /** The daemon's own measure: last frame on the primary to first on the standby. */
  gapUs: number;
  /** Milliseconds from the first sample to the pull, and the samples (when asked for). */
  pullAtMs?: number;
  samples?: TxSample[];
}

/** Reads the daemon's per-uplink tx counters every `everyMs` until stopped: a rate over time. */
function startSampling(topology: Topology, everyMs: number): { samples: TxSample[]; stop: () => Promise<void> } {
  const samples: TxSample[] = [];
  const origin = process.hrtime.bigint();
  let running = true;
  const loop = (async () => {
    while (running) {
      const { txPackets } = await topology.groupStats();
      samples.push({ tMs: Number(process.hrtime.bigint() - origin) / 1e6, ...txPackets });
      await new Promise((resolve) => setTimeout(resolve, everyMs)); // the sampling period
    }
  })();
  return {
    samples,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** One run: traffic on the primary, then (if `pull`) the primary's cable pulled mid-stream. */
export async function measureFailoverLoss(
  linkPollIntervalUs: number,
  pull = true,
  sampleEveryMs = 0,
  options: TopologyOptions = {},
): Promise<FailoverLossResult> {
  const topology = await Topology.start(labConfig({ linkPollIntervalUs, ...options }));
  try {
    const { netns, primaryTap, standbyTap } = topology;
    const ledger = await openLedger(topology);
    const vm = await topology.startSender();

    await waitFor('traffic on the primary', () => netns.counters(primaryTap).rxPackets > 10000, 10000);
    const sampling = sampleEveryMs > 0 ? startSampling(topology, sampleEveryMs) : undefined;
    const samplingOrigin = process.hrtime.bigint();
    const rateStart = { at: process.hrtime.bigint(), frames: netns.counters(BRIDGE).rxPackets };
    await new Promise((resolve) => setTimeout(resolve, 500)); // a rate sample, not a condition
    const rateEnd = { at: process.hrtime.bigint(), frames: netns.counters(BRIDGE).rxPackets };
    const ratePps = ((rateEnd.frames - rateStart.frames) * 1e9) / Number(rateEnd.at - rateStart.at);

    let pullStart = 0n,
      pullEnd = 0n,
      switchedAt = 0n;
    if (pull) {
      pullStart = process.hrtime.bigint();
      netns.setLink(primaryTap, 'down');
      pullEnd = process.hrtime.bigint();
      await topology.waitForActivePath('standby');
      switchedAt = BigInt((await topology.groupStatus()).lastSwitch!.activeSinceNs);
      const standbyStart = netns.counters(standbyTap).rxPackets;
      await waitFor('traffic on the standby', () => netns.counters(standbyTap).rxPackets > standbyStart + 10000, 10000);
    }
    await sampling?.stop();
    await vm.command('stop');
    const books = await ledger.close(pull ? 'a pulled primary' : 'steady traffic', { strict: false, quiet: true });
    const stats = await topology.groupStats();
    return {
      linkPollIntervalUs,
      ratePps: Math.round(ratePps),
      books,
      switchAfterPullStartUs: pull ? Number(switchedAt - pullStart) / 1000 : 0,
      switchAfterPullEndUs: pull ? Number(switchedAt - pullEnd) / 1000 : 0,
      gapUs: Math.round(stats.lastSwitchGapUs),
      ...(sampling && { samples: sampling.samples, pullAtMs: Number(pullStart - samplingOrigin) / 1e6 }),
    };
  } finally {
    await topology.stop();
  }
}
