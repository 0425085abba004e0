// Whether anything besides our own worker runs on a worker CPU: another poll-mode application
// pinned there, or VMs' threads the scheduler puts there. Measured once, over a second after the
// daemon is ready (nothing added to a restart's gap): each worker CPU's busy time from
// /proc/stat, less the time of our own threads pinned to it.
import fs from 'fs';
import { parseCpuList } from './preflight';

interface CpuTime {
  busy: number;
  total: number;
}

/** Busy and total time of each CPU, in USER_HZ ticks. */
function cpuTimes(stat = fs.readFileSync('/proc/stat', 'utf8')): Map<number, CpuTime> {
  const times = new Map<number, CpuTime>();
  for (const match of stat.matchAll(/^cpu(\d+)\s+(.+)$/gm)) {
    // user nice system idle iowait irq softirq steal; guest and guest_nice (fields 9 and 10) are
    // inside user and nice already. steal (a hypervisor's other guests) counts as others' use.
    const fields = match[2].trim().split(/\s+/).slice(0, 8).map(Number);
    const total = fields.reduce((sum, n) => sum + n, 0);
    const idle = fields[3] + (fields[4] ?? 0); // idle + iowait
    times.set(Number(match[1]), { busy: total - idle, total });
  }
  return times;
}

/** Time (ticks) of this process's threads pinned to exactly one CPU, by CPU: the worker lcores. */
function ownPinnedTimes(): Map<number, number> {
  const times = new Map<number, number>();
  for (const task of fs.readdirSync('/proc/self/task')) {
    try {
      const status = fs.readFileSync(`/proc/self/task/${task}/status`, 'utf8');
      const cpus = parseCpuList(/^Cpus_allowed_list:\s*(.+)$/m.exec(status)?.[1] ?? '');
      if (cpus.length !== 1) continue;
      // utime and stime: fields 14 and 15, counted after the ")" that ends the command name.
      const stat = fs.readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      times.set(cpus[0], (times.get(cpus[0]) ?? 0) + Number(fields[11]) + Number(fields[12]));
    } catch {
      // a thread that ended while listed
    }
  }
  return times;
}

/** Warnings for worker CPUs others used for at least `threshold` of `sampleMs`. */
export async function workerCpuContention(workerCpus: number[], sampleMs = 1000, threshold = 0.3): Promise<string[]> {
  const [cpuBefore, ownBefore] = [cpuTimes(), ownPinnedTimes()];
  await new Promise((resolve) => setTimeout(resolve, sampleMs).unref());
  const [cpuAfter, ownAfter] = [cpuTimes(), ownPinnedTimes()];
  const warnings: string[] = [];
  for (const cpu of workerCpus) {
    const [before, after] = [cpuBefore.get(cpu), cpuAfter.get(cpu)];
    if (!before || !after || after.total <= before.total) continue;
    const own = (ownAfter.get(cpu) ?? 0) - (ownBefore.get(cpu) ?? 0);
    const others = (after.busy - before.busy - own) / (after.total - before.total);
    if (others >= threshold)
      warnings.push(
        `worker CPU ${cpu}: other processes used ${Math.round(others * 100)}% of it while the worker ran there; ` +
          'the worker shares it (another poll-mode application pinned there, or VM threads: isolate the CPU)',
      );
  }
  return warnings;
}
