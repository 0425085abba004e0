// Builds the EAL command line from the config. Each worker lcore is pinned to its own CPU; the
// main lcore (the Node thread) and every control thread (link monitor, interrupt thread) stay
// on the other CPUs, so no wake-up ever preempts a worker, as with OVS's PMD cores.
import os from 'os';
import type { DataplaneConfig } from '../config';

export interface EalPlan {
  args: string[];
  workerLcores: number[];
}

export function planEal(config: DataplaneConfig, cpuCount = os.cpus().length): EalPlan {
  const allCpus = Array.from({ length: cpuCount }, (_, cpu) => cpu);
  const controlCpus = allCpus.filter((cpu) => !config.workerCpus.includes(cpu));
  // lcore 0 is the main lcore; workers are lcores 1..N, each on its configured CPU.
  const workerLcores = config.workerCpus.map((_, index) => index + 1);
  const lcoreMap = [
    `0@(${(controlCpus.length > 0 ? controlCpus : allCpus).join(',')})`,
    ...config.workerCpus.map((cpu, i) => `${workerLcores[i]}@${cpu}`),
  ];
  const args = [
    'vhost-failover',
    '--lcores',
    lcoreMap.join(','),
    '--main-lcore',
    '0',
    '--file-prefix',
    config.filePrefix,
    // Hugepage memory without files in /dev/hugepages: nothing is left behind after a crash.
    '--in-memory',
    '--no-telemetry',
    // DPDK's own chatter (every vhost-user message at info) only at notice and above; the
    // daemon logs what matters itself. extraEalArgs can raise it again.
    '--log-level',
    '*:notice',
    // No device is probed by EAL itself: every port is attached by devargs afterwards, the
    // same way at start and at runtime. An allow-list matching no device keeps EAL from
    // grabbing every vfio-bound PCI function on the host.
    '-a',
    '0000:00:00.0',
    ...config.extraEalArgs,
  ];
  return { args, workerLcores };
}
