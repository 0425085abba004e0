// The test bed a result was measured on, written into every result file: which code, which
// configuration, which machine and software, which CPUs did what, and how busy the machine was.
import { execFileSync } from 'child_process';
import os from 'os';
import path from 'path';

export interface Testbed {
  commit: string;
  /** Uncommitted changes in the checkout when it ran. */
  dirty: boolean;
  cpuModel: string;
  cpus: number;
  kernel: string;
  dpdk: string;
  qemu: string;
  ovs: string;
  node: string;
  /** The 1, 5 and 15 minute load averages when the run started (other work on the machine). */
  loadAverage: number[];
  coreLayout: Record<string, string>;
  configuration: object;
}

const ROOT = path.resolve(__dirname, '..', '..');

/** The first line a command prints, or 'absent'. */
function firstLine(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')[0]
      .trim();
  } catch {
    return 'absent';
  }
}

export function collectTestbed(coreLayout: Record<string, string>, configuration: object): Testbed {
  return {
    commit: firstLine('git', ['rev-parse', 'HEAD']),
    dirty: firstLine('git', ['status', '--porcelain', '--untracked-files=no']) !== '',
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    kernel: `${os.type()} ${os.release()} ${os.version()}`,
    dpdk: firstLine('pkg-config', ['--modversion', 'libdpdk']),
    qemu: firstLine('qemu-system-x86_64', ['--version']),
    ovs: firstLine('ovs-vswitchd', ['--version']),
    node: process.version,
    loadAverage: os.loadavg().map((n) => Math.round(n * 100) / 100),
    coreLayout,
    configuration,
  };
}

/** The test bed as flat columns for a CSV row. */
export function testbedColumns(testbed: Testbed): Record<string, string | number | boolean> {
  return {
    commit: testbed.commit,
    dirty: testbed.dirty,
    cpuModel: testbed.cpuModel,
    cpus: testbed.cpus,
    kernel: testbed.kernel,
    dpdk: testbed.dpdk,
    qemu: testbed.qemu,
    ovs: testbed.ovs,
    loadAverage1m: testbed.loadAverage[0],
  };
}

/** One sentence for a Markdown report's head: what it ran on, and how busy the machine was. */
export function testbedSentence(testbed: Testbed): string {
  return (
    `Test bed: ${testbed.commit.slice(0, 12)}${testbed.dirty ? ' (uncommitted changes)' : ''} on ${testbed.cpus} × ` +
    `${testbed.cpuModel}, ${testbed.kernel.split(' ').slice(0, 2).join(' ')}, DPDK ${testbed.dpdk}, ${testbed.qemu}, ` +
    `${testbed.ovs}; load average ${testbed.loadAverage.join(' ')} at the start; ` +
    Object.entries(testbed.coreLayout)
      .map(([what, where]) => `${what} on ${where}`)
      .join(', ') +
    '.'
  );
}
