// What the daemons were doing while a guest got no answers: each daemon's status and counters,
// every thread's state and kernel wait channel (is the worker asleep in epoll_wait, or spinning?),
// every thread's stack where gdb is installed (is a DPDK callback stuck, and on what?), the
// daemons' logs and the guest's console. The migration soak writes it when pings stop coming back
// after a migration (at the timeout and again once they return, or do not), and the migration lab
// when a step of a migration times out.
import { spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import type { DaemonProcess } from './daemon-process';
import { threadCounters } from './thread-activity';

function threadStates(pid: number): string {
  return [...threadCounters(pid)]
    .map(([tid, thread]) => {
      let wchan = '?';
      try {
        wchan = fs.readFileSync(`/proc/${pid}/task/${tid}/wchan`, 'utf8');
      } catch {
        // the thread ended since
      }
      return `${tid} ${thread.name}: state ${thread.state} wchan ${wchan} cpu ${thread.cpuSeconds} s wake-ups ${thread.wakeups}`;
    })
    .join('\n');
}

// A second or so with the daemon stopped, which a diagnosis can afford and a test cannot miss.
export function threadStacks(pid: number): string {
  const gdb = spawnSync('gdb', ['-batch', '-p', String(pid), '-ex', 'thread apply all bt'], {
    encoding: 'utf8',
    timeout: 60000,
  });
  if (gdb.error) return `no stacks: ${gdb.error.message} (install gdb for them)`;
  return gdb.stdout + gdb.stderr;
}

export interface DiagnosedHost {
  name: string;
  daemon: DaemonProcess;
}

/** Writes `<dir>/<label>-*.txt` and returns the directory's path. */
export async function writeOutageDiagnostics(
  dir: string,
  label: string,
  hosts: DiagnosedHost[],
  guestConsole: string,
): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const write = (name: string, text: string) => fs.writeFileSync(path.join(dir, `${label}-${name}.txt`), text);
  for (const host of hosts) {
    const { daemon } = host;
    const report: string[] = [`daemon ${host.name}, pid ${daemon.pid}, at ${new Date().toISOString()}`];
    try {
      report.push(`status: ${JSON.stringify(await daemon.status(), null, 2)}`);
      report.push(`stats: ${JSON.stringify(await daemon.stats(), null, 2)}`);
    } catch (err) {
      report.push(`control: ${(err as Error).message}`);
    }
    try {
      report.push(`threads:\n${threadStates(daemon.pid)}`);
    } catch (err) {
      report.push(`threads: ${(err as Error).message}`);
    }
    write(`daemon-${host.name}`, report.join('\n\n') + '\n');
    write(`daemon-${host.name}-stacks`, threadStacks(daemon.pid));
    write(`daemon-${host.name}-log`, daemon.log);
  }
  write('guest-console', guestConsole);
  return dir;
}
