// A long-running process in the L1 host (the daemon, testpmd): started in its own session with
// its output in a file of the control share, so the host reads it as it grows; stopped by PID.
import fs from 'fs';
import path from 'path';
import { waitFor } from '../wait';
import { L1_CTL_DIR, shellQuote, type L1Vm } from './l1-vm';

export class L1Process {
  private constructor(
    private readonly l1: L1Vm,
    readonly name: string,
    readonly pid: number,
  ) {}

  /** Starts `argv` in L1 (in `cwd` when given); its stdout and stderr go to the share's NAME.log. */
  static async start(l1: L1Vm, name: string, argv: string[], cwd = '/'): Promise<L1Process> {
    const log = `${L1_CTL_DIR}/${name}.log`;
    const command = argv.map(shellQuote).join(' ');
    // setsid itself in the background (not a list, which a subshell would run and $! would name),
    // so $! is the process; setsid does not fork, not being a process group leader.
    const pid = await l1.runOk(`cd ${shellQuote(cwd)} || exit 1\nsetsid ${command} >${log} 2>&1 </dev/null &\necho $!`);
    return new L1Process(l1, name, Number(pid.trim()));
  }

  /** Everything it printed so far. */
  get log(): string {
    try {
      return fs.readFileSync(path.join(this.l1.ctlDir, `${this.name}.log`), 'utf8');
    } catch {
      return '';
    }
  }

  async alive(): Promise<boolean> {
    return (await this.l1.run(`kill -0 ${this.pid}`)).code === 0;
  }

  async signal(name: 'TERM' | 'KILL' | 'HUP' | 'INT'): Promise<void> {
    await this.l1.run(`kill -${name} ${this.pid}`);
  }

  /** SIGTERM, SIGKILL if it has not exited within `timeoutMs`. */
  async stop(timeoutMs = 20000): Promise<void> {
    if (!(await this.alive())) return;
    await this.signal('TERM');
    try {
      await waitFor(`${this.name} in L1 to exit`, async () => !(await this.alive()), timeoutMs, 200);
    } catch {
      await this.signal('KILL');
      await waitFor(`${this.name} in L1 to exit on SIGKILL`, async () => !(await this.alive()), 10000, 200);
    }
  }
}
