// What each thread of a process does over a window, from /proc: CPU time and how often it went
// to sleep and woke (voluntary context switches). The idle-cost test and the bench use it to
// show that a thread sleeps while nothing happens, by counting wake-ups rather than timing.
import fs from 'fs';

export interface ThreadCounters {
  name: string;
  /** R running, S sleeping, D in uninterruptible wait, ... */
  state: string;
  cpuSeconds: number;
  wakeups: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux, whatever the kernel's HZ

/** Every thread of `pid` now, by thread id. */
export function threadCounters(pid: number): Map<number, ThreadCounters> {
  const threads = new Map<number, ThreadCounters>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const status = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      // The name sits in parentheses and may hold spaces; the fields after it are fixed.
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      threads.set(Number(tid), {
        name,
        state: fields[0],
        cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND, // utime + stime
        wakeups: Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)![1]),
      });
    } catch {
      // the thread ended while listed
    }
  }
  return threads;
}

export interface ThreadActivity {
  name: string;
  /** Share of one CPU, in percent. */
  cpuPercent: number;
  wakeupsPerSecond: number;
}

/** Per thread name (summed over threads of that name), between two readings. */
export function threadActivity(
  before: Map<number, ThreadCounters>,
  after: Map<number, ThreadCounters>,
  seconds: number,
): ThreadActivity[] {
  const byName = new Map<string, { cpu: number; wakeups: number }>();
  for (const [tid, end] of after) {
    const start = before.get(tid);
    if (!start) continue;
    const sum = byName.get(end.name) ?? { cpu: 0, wakeups: 0 };
    sum.cpu += end.cpuSeconds - start.cpuSeconds;
    sum.wakeups += end.wakeups - start.wakeups;
    byName.set(end.name, sum);
  }
  return [...byName].map(([name, sum]) => ({
    name,
    cpuPercent: Math.round((sum.cpu / seconds) * 1000) / 10,
    wakeupsPerSecond: Math.round((sum.wakeups / seconds) * 10) / 10,
  }));
}

/** Watches `pid` for `windowMs` (the measurement window itself) and returns its threads' activity. */
export async function measureThreads(pid: number, windowMs: number): Promise<ThreadActivity[]> {
  const before = threadCounters(pid);
  const start = process.hrtime.bigint();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const after = threadCounters(pid);
  return threadActivity(before, after, Number(process.hrtime.bigint() - start) / 1e9);
}
