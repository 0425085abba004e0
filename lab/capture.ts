// tcpdump on an interface of the test's namespace: what actually crossed a wire, as a peer saw it.
import { spawn } from 'child_process';
import { CollectedProcess } from './collected-process';
import { waitFor } from './wait';

export class Capture {
  private constructor(private readonly tcpdump: CollectedProcess) {}

  /** Starts tcpdump (link-level headers, no name lookups, line-buffered) and waits until it listens. */
  static async start(netns: string, iface: string, filter: string, extra: string[] = []): Promise<Capture> {
    const child = spawn('ip', ['netns', 'exec', netns, 'tcpdump', '-l', '-n', '-e', ...extra, '-i', iface, filter], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tcpdump = new CollectedProcess(child);
    const capture = new Capture(tcpdump);
    await waitFor(`tcpdump to listen on ${iface}`, () => {
      if (tcpdump.exited) throw new Error(`tcpdump exited: ${tcpdump.output}`);
      return tcpdump.output.includes('listening on');
    });
    return capture;
  }

  /**
   * The captured frames, one line each (with -v, a frame's continuation lines are joined to it;
   * with -tt, each starts with its time in seconds since the epoch).
   */
  lines(): string[] {
    return this.tcpdump.output
      .replace(/\n\s+/g, ' ')
      .split('\n')
      .filter((line) => /^(\d\d:\d\d:|\d{9,}\.\d+ )/.test(line));
  }

  stop(): void {
    this.tcpdump.signal('SIGTERM');
  }
}
