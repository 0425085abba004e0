// dpdk-testpmd as a child process driven through its interactive prompt: the test "VM"
// (net_virtio_user, a vhost-user frontend nobody here wrote) and the benchmark reference
// (io forwarding between a vhost-user port and an uplink).
import { spawn, type ChildProcess } from 'child_process';
import { waitFor } from './wait';

export interface PortCounters {
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
}

const PROMPT = 'testpmd> ';

export class Testpmd {
  private readonly child: ChildProcess;
  private output = ''; // stdout and stderr, for logs
  // stdout alone: a driver's message on stderr may land in the middle of the prompt
  // ("testpmd" + "Error during enabling promiscuous mode..." + "> ") and hide it.
  private stdout = '';
  private exited = false;

  private constructor(ealArgs: string[], appArgs: string[], netns?: string) {
    // stdbuf: testpmd printf()s command output but write()s its prompt; unbuffered, the output
    // arrives before the prompt that ends it.
    const args = ['stdbuf', '-o0', '-e0', 'dpdk-testpmd', ...ealArgs, '--', '-i', ...appArgs];
    // In a namespace, its net_tap interfaces are made there.
    if (netns) args.unshift('ip', 'netns', 'exec', netns);
    this.child = spawn(args[0], args.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString('utf8');
      this.output += chunk.toString('utf8');
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    this.child.on('exit', () => (this.exited = true));
  }

  /** Starts testpmd (in `netns` when given), waits for its prompt and starts forwarding. */
  static async start(ealArgs: string[], appArgs: string[], netns?: string): Promise<Testpmd> {
    const testpmd = new Testpmd(ealArgs, appArgs, netns);
    try {
      await waitFor(
        'the testpmd prompt',
        () => {
          if (testpmd.exited) throw new Error(`testpmd exited:\n${testpmd.output.slice(-2000)}`);
          return testpmd.stdout.includes(PROMPT);
        },
        30000,
      );
      // testpmd reaches its prompt even when no port probed; a lab VM without its port is no VM.
      if (testpmd.output.includes('No probed ethernet devices')) throw new Error('testpmd probed no port');
      await testpmd.command('start');
    } catch (err) {
      await testpmd.stop();
      throw new Error(`${(err as Error).message}\n--- testpmd output ---\n${testpmd.output.slice(-3000)}`);
    }
    return testpmd;
  }

  get log(): string {
    return this.output;
  }

  /** Runs one interactive command and returns what it printed before the next prompt. */
  async command(line: string, timeoutMs = 10000): Promise<string> {
    const from = this.stdout.length;
    this.child.stdin!.write(line + '\n');
    const end = await waitFor(
      `testpmd to finish "${line}"`,
      () => {
        if (this.exited) throw new Error('testpmd exited');
        const at = this.stdout.indexOf(PROMPT, from);
        return at >= 0 ? at : undefined;
      },
      timeoutMs,
      5,
    );
    return this.stdout.slice(from, end);
  }

  async counters(port = 0): Promise<PortCounters> {
    const text = await this.command(`show port stats ${port}`);
    const number = (label: string) => Number(new RegExp(`${label}:\\s*(\\d+)`).exec(text)?.[1] ?? NaN);
    return {
      rxPackets: number('RX-packets'),
      txPackets: number('TX-packets'),
      rxBytes: number('RX-bytes'),
      txBytes: number('TX-bytes'),
    };
  }

  /** SIGKILL at once, as a VM that dies; resolves once it has exited. */
  async kill(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGKILL');
    await waitFor('testpmd to die on SIGKILL', () => this.exited, 5000);
  }

  /** quit, then SIGTERM, then SIGKILL: whichever ends it; always by PID. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = () => this.exited;
    try {
      this.child.stdin!.write('quit\n');
      await waitFor('testpmd to quit', gone, 10000);
      return;
    } catch {
      this.child.kill('SIGTERM');
    }
    try {
      await waitFor('testpmd to exit on SIGTERM', gone, 5000);
    } catch {
      this.child.kill('SIGKILL');
      await waitFor('testpmd to exit on SIGKILL', gone, 5000);
    }
  }
}

/** EAL arguments every testpmd here shares: no hugepage files left, no PCI scan. */
export function testpmdEal(filePrefix: string, lcores: string, vdevs: string[]): string[] {
  return [
    '--lcores',
    lcores,
    '--in-memory',
    // One file descriptor per memory segment list, not per page: vhost-user backends accept
    // only a handful of memory regions ("Too many memory regions" otherwise).
    '--single-file-segments',
    '--file-prefix',
    filePrefix,
    '--no-pci',
    '--log-level',
    '*:notice',
    ...vdevs.flatMap((vdev) => ['--vdev', vdev]),
  ];
}
