// The "VM": dpdk-testpmd with a net_virtio_user port on the group's vhost-user socket. A real
// vhost-user frontend that nobody here wrote, driven through its interactive prompt.
import { spawn, type ChildProcess } from 'child_process';
import { waitFor } from './wait';

export type ForwardMode = 'txonly' | 'rxonly' | 'macswap' | 'icmpecho' | 'io';

export interface VmOptions {
  socket: string;
  mac: string;
  filePrefix: string;
  mode: ForwardMode;
  /** Destination MAC of txonly frames. */
  peerMac?: string;
  /** Source and destination IPv4 of txonly frames. */
  txIp?: [string, string];
  /** testpmd's lcores: main and forwarding, pinned to this CPU (the daemon's worker has the other). */
  cpu?: number;
}

export interface PortCounters {
  rxPackets: number;
  txPackets: number;
}

const PROMPT = 'testpmd> ';

export class TestpmdVm {
  private readonly child: ChildProcess;
  private output = '';
  private exited = false;

  private constructor(readonly options: VmOptions) {
    const cpu = options.cpu ?? 0;
    const args = [
      '--lcores',
      `0@${cpu},1@${cpu}`,
      '--in-memory',
      // One file descriptor per memory segment list, not per page: vhost-user backends accept
      // only a handful of memory regions ("Too many memory regions" otherwise).
      '--single-file-segments',
      '--file-prefix',
      options.filePrefix,
      '--no-pci',
      '--log-level',
      'lib.eal:warning',
      '--vdev',
      `net_virtio_user0,path=${options.socket},mac=${options.mac},queues=1`,
      '--',
      '-i',
      '--nb-cores=1',
      '--total-num-mbufs=8192',
      `--forward-mode=${options.mode}`,
      '--txpkts=64',
    ];
    if (options.peerMac) args.push(`--eth-peer=0,${options.peerMac}`);
    if (options.txIp) args.push(`--tx-ip=${options.txIp[0]},${options.txIp[1]}`);
    // stdbuf: testpmd printf()s command output but write()s its prompt; unbuffered, the output
    // arrives before the prompt that ends it.
    this.child = spawn('stdbuf', ['-o0', '-e0', 'dpdk-testpmd', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer) => (this.output += chunk.toString('utf8'));
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.child.on('exit', () => (this.exited = true));
  }

  static async start(options: VmOptions): Promise<TestpmdVm> {
    const vm = new TestpmdVm(options);
    try {
      await waitFor('testpmd prompt', () => {
        if (vm.exited) throw new Error(`testpmd exited:\n${vm.output.slice(-2000)}`);
        return vm.output.includes(PROMPT);
      }, 30000);
      await vm.command('start');
    } catch (err) {
      await vm.stop();
      throw err;
    }
    return vm;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get log(): string {
    return this.output;
  }

  /** Runs one interactive command and returns what it printed before the next prompt. */
  async command(line: string, timeoutMs = 10000): Promise<string> {
    const from = this.output.length;
    this.child.stdin!.write(line + '\n');
    const end = await waitFor(`testpmd to finish "${line}"`, () => {
      if (this.exited) throw new Error('testpmd exited');
      const at = this.output.indexOf(PROMPT, from);
      return at >= 0 ? at : undefined;
    }, timeoutMs, 5);
    return this.output.slice(from, end);
  }

  async counters(): Promise<PortCounters> {
    const text = await this.command('show port stats 0');
    const number = (label: string) => Number(new RegExp(`${label}:\\s*(\\d+)`).exec(text)?.[1] ?? NaN);
    return { rxPackets: number('RX-packets'), txPackets: number('TX-packets') };
  }

  async linkUp(): Promise<boolean> {
    return /Link status:\s*up/.test(await this.command('show port info 0'));
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
