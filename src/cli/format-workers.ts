// worker-stats and port-xstats as tables: where each worker lcore's time goes (as OVS's
// pmd-stats-show and pmd-rxq-show, VPP's show runtime), and a port's driver counters.
import type { PortXstatsReply, WorkerStatsReply } from '../control/protocol';
import type { WorkerStats } from '../dataplane';
import { table } from './format';

const percentOf = (part: number, whole: number) => (whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '-');

/** Busy cycles per frame moved: what a frame costs the worker, polling included. */
export function cyclesPerFrame(worker: WorkerStats): number | undefined {
  return worker.frames > 0 ? worker.busyCycles / worker.frames : undefined;
}

function pollUnitLines(worker: WorkerStats): string {
  if (worker.pollUnits.length === 0) return `lcore ${worker.lcore} polls nothing\n`;
  return worker.pollUnits
    .map((unit) => {
      const { vhost, primary, standby } = unit.ports;
      const ports = `guest vid ${vhost ?? 'none'}, primary port ${primary ?? 'none'}, standby port ${standby ?? 'none'}`;
      return `lcore ${worker.lcore} polls ${unit.group} queue ${unit.queue} (${ports}): ${unit.frames} frames\n`;
    })
    .join('');
}

export function formatWorkerStats(reply: WorkerStatsReply): string {
  const rows = reply.workers.map((worker) => {
    const total = worker.busyCycles + worker.idleCycles + worker.asleepCycles;
    const perFrame = cyclesPerFrame(worker);
    return [
      String(worker.lcore),
      percentOf(worker.busyCycles, total),
      percentOf(worker.idleCycles, total),
      percentOf(worker.asleepCycles, total),
      String(worker.frames),
      perFrame === undefined ? '-' : String(Math.round(perFrame)),
      String(worker.passes),
    ];
  });
  return (
    table(['LCORE', 'BUSY', 'IDLE', 'ASLEEP', 'FRAMES', 'CYCLES/FRAME', 'PASSES'], rows) +
    reply.workers.map(pollUnitLines).join('') +
    `since each worker started; TSC ${Math.round(reply.tscHz / 1e6)} MHz\n`
  );
}

export function formatPortXstats(reply: PortXstatsReply): string {
  return (
    `${reply.group} ${reply.port} port: ${reply.xstats.length} counters\n` +
    table(
      ['NAME', 'VALUE'],
      reply.xstats.map((xstat) => [xstat.name, String(xstat.value)]),
    )
  );
}
