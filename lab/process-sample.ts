// What a process holds now, from /proc: resident memory, open files by kind, threads. The soak
// and the migration tests compare samples to show that nothing grows.
import fs from 'fs';

export interface ProcessSample {
  rssMiB: number;
  fds: number;
  /** What each open file is (socket:[...], anon_inode:[eventfd], /dev/net/tun), to name a leak. */
  fdKinds: Record<string, number>;
  threads: number;
}

export function processSample(pid: number): ProcessSample {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const fdKinds: Record<string, number> = {};
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = fs
        .readlinkSync(`/proc/${pid}/fd/${fd}`)
        .replace(/\[\d+\]$/, '')
        .replace(/^\/memfd:.*/, 'memfd');
    } catch {
      continue; // closed while listed
    }
    fdKinds[target] = (fdKinds[target] ?? 0) + 1;
  }
  return {
    rssMiB: Number(/^VmRSS:\s+(\d+)/m.exec(status)![1]) / 1024,
    fds: Object.values(fdKinds).reduce((sum, n) => sum + n, 0),
    fdKinds,
    threads: Number(/^Threads:\s+(\d+)/m.exec(status)![1]),
  };
}

/** The kinds of open file whose count differs between two samples, as "kind first→last". */
export function fdDifference(first: ProcessSample, last: ProcessSample): string {
  const kinds = new Set([...Object.keys(first.fdKinds), ...Object.keys(last.fdKinds)]);
  return [...kinds]
    .filter((kind) => (first.fdKinds[kind] ?? 0) !== (last.fdKinds[kind] ?? 0))
    .map((kind) => `${kind} ${first.fdKinds[kind] ?? 0}→${last.fdKinds[kind] ?? 0}`)
    .join(', ');
}
