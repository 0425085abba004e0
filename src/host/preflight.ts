// What the host must offer before DPDK starts, checked first so that a missing piece is one line
// naming it and how to fix it, not an EAL error code: the worker CPUs must exist, and enough
// hugepage memory must be free for the mbuf pool. (hugetlbfs need not be mounted: EAL runs with
// --in-memory.)
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { Config } from '../config';

export interface PreflightProblem {
  /** 'config': the file asks for what this host cannot be (exit 78); 'host': the host lacks it now. */
  kind: 'config' | 'host';
  text: string;
}

// Per mbuf: its data room (2048 + 128 headroom, more for jumbo MTUs), its header and the
// mempool's own overhead; plus what EAL, rings and ports take besides the pool.
const MBUF_OVERHEAD_BYTES = 384;
const BASE_BYTES = 64 * 1024 * 1024;

/** Hugepage memory the data plane needs for `config`, in bytes (an estimate, on the high side). */
export function hugepageBytesNeeded(config: Config): number {
  const maxMtu = Math.max(1500, ...config.groups.map((group) => group.mtu));
  const dataRoom = 128 + Math.max(2048, maxMtu + 26);
  return config.dataplane.mbufs * (dataRoom + MBUF_OVERHEAD_BYTES) + BASE_BYTES;
}

/** Free hugepage memory of every page size, in bytes, as sysfs counts it. */
export function freeHugepageBytes(sysfs = '/sys/kernel/mm/hugepages'): number {
  let free = 0;
  for (const dir of fs.existsSync(sysfs) ? fs.readdirSync(sysfs) : []) {
    const pageKiB = Number(/^hugepages-(\d+)kB$/.exec(dir)?.[1]);
    if (!pageKiB) continue;
    free += Number(fs.readFileSync(path.join(sysfs, dir, 'free_hugepages'), 'utf8')) * pageKiB * 1024;
  }
  return free;
}

export function preflight(
  config: Config,
  cpuCount = os.cpus().length,
  freeBytes = freeHugepageBytes(),
): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  const missing = config.dataplane.workerCpus.filter((cpu) => cpu >= cpuCount);
  if (missing.length > 0)
    problems.push({
      kind: 'config',
      text: `dataplane.workerCpus: CPU ${missing.join(', ')} does not exist on this host (CPUs 0-${cpuCount - 1}); name CPUs it has`,
    });
  const neededMiB = Math.ceil(hugepageBytesNeeded(config) / 2 ** 20);
  const freeMiB = Math.floor(freeBytes / 2 ** 20);
  if (freeMiB < neededMiB)
    problems.push({
      kind: 'host',
      text:
        `${freeMiB} MiB of hugepages free, about ${neededMiB} MiB needed (dataplane.mbufs ${config.dataplane.mbufs}); ` +
        `reserve more (echo 1024 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages, or hugepages= on the ` +
        'kernel command line) or lower dataplane.mbufs',
    });
  return problems;
}
