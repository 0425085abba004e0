// tcpdump on an interface of the test's namespace: what actually crossed a wire, as a peer saw it.
import { spawn, type ChildProcess } from 'child_process';
import { waitFor } from './wait';

export class Capture {
  private output = '';
  private exited = false;

  private constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.on('exit', () => (this.exited = true));
  }

  /** Starts tcpdump (link-level headers, no name lookups, line-buffered) and waits until it listens. */
  static async start(netns: string, iface: string, filter: string, extra: string[] = []): Promise<Capture> {
    const child = spawn('ip', ['netns', 'exec', netns, 'tcpdump', '-l', '-n', '-e', ...extra, '-i', iface, filter], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const capture = new Capture(child);
    await waitFor(`tcpdump to listen on ${iface}`, () => {
      if (capture.exited) throw new Error(`tcpdump exited: ${capture.output}`);
      return capture.output.includes('listening on');
    });
    return capture;
  }

  /** The captured frames, one line each (with -v, a frame's continuation lines are joined to it). */
  lines(): string[] {
    return this.output
      .replace(/\n\s+/g, ' ')
      .split('\n')
      .filter((line) => /^\d\d:\d\d:/.test(line));
  }

  stop(): void {
    if (!this.exited) this.child.kill('SIGTERM');
  }
}
