// A child process whose output (stdout and stderr as they interleave) is kept while it runs:
// what the lab's tcpdump, ping and stream sender print is read from here.
import type { ChildProcess } from 'child_process';
import { waitFor } from './wait';

export class CollectedProcess {
  private text = '';
  private done = false;

  constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => (this.text += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.text += chunk.toString()));
    child.on('exit', () => (this.done = true));
  }

  get output(): string {
    return this.text;
  }

  get exited(): boolean {
    return this.done;
  }

  /** Sends `signal` once, without waiting. */
  signal(signal: NodeJS.Signals): void {
    if (!this.done) this.child.kill(signal);
  }

  /** Sends `signal` and waits for the exit; SIGKILL after `timeoutMs`. */
  async stop(signal: NodeJS.Signals, timeoutMs: number, what: string): Promise<void> {
    this.signal(signal);
    try {
      await waitFor(`${what} to exit`, () => this.done, timeoutMs);
    } finally {
      this.signal('SIGKILL');
    }
  }
}
