// The daemon inside the L1 host, run from this checkout as it is built here, with its log in the
// control share. Control requests reach its socket through lab/vf/l1-control.ts.
import fs from 'fs';
import path from 'path';
import type { Op, OpReplies } from '../../src/control/protocol';
import { waitFor } from '../wait';
import { L1Process } from './l1-process';
import { L1Control } from './l1-control';
import { L1_CHECKOUT, L1_CTL_DIR, type L1Vm } from './l1-vm';

/** Where the daemon's sockets live in L1 (its tmpfs /run). */
export const L1_DAEMON_DIR = '/run/vf-lab';

export interface PathSwitchSeen {
  group: string;
  afterMs: number;
  from: string;
  to: string;
  reason: string;
}

export class L1Daemon {
  private constructor(
    private readonly process: L1Process,
    private readonly control: L1Control,
  ) {}

  get controlSocket(): string {
    return this.control.socket;
  }

  /** Writes `config` into the share, starts the daemon and resolves once its socket answers. */
  static async start(
    l1: L1Vm,
    config: Record<string, unknown> & { control: { socket: string } },
    timeoutMs = 90000,
  ): Promise<L1Daemon> {
    fs.writeFileSync(path.join(l1.ctlDir, 'daemon.json'), JSON.stringify(config, null, 2), { mode: 0o600 });
    await l1.runOk(`mkdir -p -m 0700 ${L1_DAEMON_DIR}`);
    const process = await L1Process.start(
      l1,
      'daemon',
      ['node', 'dist/src/cli.js', 'run', '--config', `${L1_CTL_DIR}/daemon.json`],
      L1_CHECKOUT,
    );
    const daemon = new L1Daemon(process, new L1Control(l1, config.control.socket));
    try {
      // An exit ends the wait at once (a throw would only be retried until the timeout).
      const seen = await waitFor(
        'the daemon in L1 to answer on its control socket',
        async () => {
          if (!(await process.alive())) return 'exited';
          return (await daemon.request('groups').catch(() => undefined)) !== undefined && 'answered';
        },
        timeoutMs,
        500,
      );
      if (seen === 'exited') throw new Error(`the daemon in L1 exited:\n${process.log}`);
    } catch (err) {
      await daemon.stop();
      throw err;
    }
    return daemon;
  }

  get log(): string {
    return this.process.log;
  }

  /** Milliseconds between the first log line saying `from` and the first after it saying `to`. */
  logSpanMs(from: string, to: string): number {
    const lines = this.log.split('\n').filter((line) => line.startsWith('{'));
    const entries = lines.map((line) => JSON.parse(line) as { time: number; msg?: string });
    const start = entries.find((entry) => entry.msg === from);
    const end = entries.find((entry) => entry.msg === to && entry.time >= (start?.time ?? Infinity));
    if (!start || !end) throw new Error(`the daemon's log has no "${from}" followed by "${to}"`);
    return end.time - start.time;
  }

  /** Its PID in L1 (its /proc there: VmRSS and the like). */
  get pid(): number {
    return this.process.pid;
  }

  /** Whether its process still runs in L1. */
  alive(): Promise<boolean> {
    return this.process.alive();
  }

  /** The path switches it logged at or after `sinceMs` (L1's clock, as `date +%s%3N` reads it), every group's. */
  pathSwitches(sinceMs: number): PathSwitchSeen[] {
    const switches: PathSwitchSeen[] = [];
    for (const line of this.log.split('\n')) {
      if (!line.includes('"pathSwitched"')) continue;
      const entry = JSON.parse(line) as {
        time: number;
        group: string;
        event: { from: string; to: string; reason: string };
      };
      if (entry.time >= sinceMs) switches.push({ group: entry.group, afterMs: entry.time - sinceMs, ...entry.event });
    }
    return switches;
  }

  /** One control request; rejects with the daemon's error when it refuses. */
  request<O extends Op>(op: O, args: Record<string, unknown> = {}): Promise<OpReplies[O]> {
    return this.control.request(op, args);
  }

  /** `op` sent `count` times from one process in L1: each reply's time and size. */
  timedRequests(op: Op, count: number): Promise<Array<{ ms: number; bytes: number }>> {
    return this.control.timed(op, count);
  }

  status(): Promise<OpReplies['status']> {
    return this.request('status');
  }

  stats(): Promise<OpReplies['stats']> {
    return this.request('stats');
  }

  stop(): Promise<void> {
    return this.process.stop(30000);
  }
}
