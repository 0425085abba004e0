// What the host must offer before DPDK starts, checked first so that a missing piece is one line
// naming it and how to fix it, not an EAL error code: the worker CPUs must exist and lie in the
// daemon's cgroup cpuset, and enough hugepage memory must be free for the mbuf pools. (hugetlbfs
// need not be mounted: EAL runs with --in-memory.) The process's affinity is not checked: EAL
// pins each lcore itself, and isolated CPUs (isolcpus=, CPUAffinity= of a partitioned host) are
// outside every service's inherited affinity by design; only a cpuset forbids a CPU.
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { Config } from '../config';
import { groupEthdevPorts } from '../config/cross-checks';
import { loadAddon } from '../dataplane/native';

export interface PreflightProblem {
  /** 'config': the file asks for what this host cannot be (exit 78); 'host': the host lacks it now. */
  kind: 'config' | 'host';
  text: string;
}

// Per mbuf: its data room (2048 + 128 headroom, more for jumbo MTUs), its header and the
// mempool's own overhead; plus what EAL, rings and ports take besides the pool.
const MBUF_OVERHEAD_BYTES = 384;
const BASE_BYTES = 64 * 1024 * 1024;

/**
 * The mbufs the groups draw from the pools at most, counted by the addon, which the data plane
 * reserves by (it needs no EAL), so that this check and the pools cannot disagree.
 */
export function ringMbufs(config: Config): number {
  const { rxDescriptors, txDescriptors } = config.dataplane;
  const addon = loadAddon();
  return config.groups.reduce(
    (sum, group) =>
      sum +
      addon.groupMbufs({ queues: group.queues, rxDescriptors, txDescriptors, ethdevUplinks: groupEthdevPorts(group) }),
    0,
  );
}

/** The mbufs the pools will hold: the smallest pool, or the groups' rings where they need more. */
export function mbufsNeeded(config: Config): number {
  return Math.max(config.dataplane.mbufs, ringMbufs(config));
}

/** Hugepage memory the data plane needs for `config`, in bytes (an estimate, on the high side). */
export function hugepageBytesNeeded(config: Config): number {
  const maxMtu = Math.max(1500, ...config.groups.map((group) => group.mtu));
  const dataRoom = 128 + Math.max(2048, maxMtu + 26);
  return mbufsNeeded(config) * (dataRoom + MBUF_OVERHEAD_BYTES) + BASE_BYTES;
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

/** "0-3,8,10-11" (a kernel CPU list) → [0, 1, 2, 3, 8, 10, 11]. */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.trim().split(',').filter(Boolean)) {
    const [from, to = from] = part.split('-').map(Number);
    for (let cpu = from; cpu <= to; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/**
 * The CPUs the daemon's cgroup cpuset lets it use (cgroup v2, or v1's cpuset hierarchy), or
 * undefined when no cpuset says (then any online CPU may be used).
 */
export function cpusetCpus(
  procCgroup = fs.readFileSync('/proc/self/cgroup', 'utf8'),
  read: (file: string) => string | undefined = readIfExists,
): number[] | undefined {
  const v2 = /^0::(\S+)$/m.exec(procCgroup)?.[1];
  const v1 = /^\d+:(?:[^:]*,)?cpuset(?:,[^:]*)?:(\S+)$/m.exec(procCgroup)?.[1];
  const list =
    (v2 !== undefined ? read(path.join('/sys/fs/cgroup', v2, 'cpuset.cpus.effective')) : undefined) ??
    (v1 !== undefined ? read(path.join('/sys/fs/cgroup/cpuset', v1, 'cpuset.effective_cpus')) : undefined);
  return list?.trim() ? parseCpuList(list) : undefined;
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export interface HostFacts {
  cpuCount: number;
  /** From the cgroup cpuset; undefined: not limited. */
  cpusetCpus?: number[];
  freeHugepageBytes: number;
}

function hostFacts(): HostFacts {
  return { cpuCount: os.cpus().length, cpusetCpus: cpusetCpus(), freeHugepageBytes: freeHugepageBytes() };
}

export function preflight(config: Config, host: HostFacts = hostFacts()): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  const { workerCpus } = config.dataplane;
  const missing = workerCpus.filter((cpu) => cpu >= host.cpuCount);
  if (missing.length > 0)
    problems.push({
      kind: 'config',
      text: `dataplane.workerCpus: CPU ${missing.join(', ')} does not exist on this host (CPUs 0-${host.cpuCount - 1}); name CPUs it has`,
    });
  const cpuset = host.cpusetCpus;
  const forbidden = cpuset ? workerCpus.filter((cpu) => cpu < host.cpuCount && !cpuset.includes(cpu)) : [];
  if (forbidden.length > 0)
    problems.push({
      kind: 'config',
      text:
        `dataplane.workerCpus: CPU ${forbidden.join(', ')} is outside the daemon's cgroup cpuset ` +
        `(${cpuset!.join(',')}; AllowedCPUs= in a systemd unit); name CPUs in that set or widen it`,
    });
  const freeBytes = host.freeHugepageBytes;
  const neededMiB = Math.ceil(hugepageBytesNeeded(config) / 2 ** 20);
  const freeMiB = Math.floor(freeBytes / 2 ** 20);
  const rings = ringMbufs(config);
  const sizedBy =
    rings > config.dataplane.mbufs ? `the groups' rings, ${rings} mbufs` : `dataplane.mbufs ${config.dataplane.mbufs}`;
  if (freeMiB < neededMiB)
    problems.push({
      kind: 'host',
      text:
        `${freeMiB} MiB of hugepages free, about ${neededMiB} MiB needed (${sizedBy}); ` +
        `reserve more (echo 1024 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages, or hugepages= on the ` +
        "kernel command line) or lower dataplane.mbufs, or the groups' queues or descriptors",
    });
  return problems;
}
