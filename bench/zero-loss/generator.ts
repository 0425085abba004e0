// The rate-controlled generator (bench/generator, native C++) as a child process: one command
// a line on its stdin, one JSON line back. Its own CPU, file prefix and ports; stopped by PID.
import { spawn, type ChildProcess } from 'child_process';
import fs from 'fs';
import path from 'path';
import readline from 'readline';
import { testpmdEal } from '../../lab/testpmd';

export const GENERATOR_BINARY = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  'build',
  'bench-generator',
  'vf-bench-generator',
);

/** What a port's frames carry: the MACs the switch expects (a guest's source MAC, for one). */
export interface PortFrames {
  src: string;
  dst: string;
}

export interface LatencySummary {
  count: number;
  minNs?: number;
  meanNs?: number;
  p50Ns?: number;
  p90Ns?: number;
  p99Ns?: number;
  p999Ns?: number;
  p9999Ns?: number;
  maxNs?: number;
  /** [upper bound of the bucket in ns, frames], ascending, empty buckets left out. */
  buckets?: Array<[number, number]>;
}

export interface PortTally {
  port: number;
  /** Frames the schedule handed the port, taken or not. */
  offered: number;
  /** Not taken: the port's ring was full (on a wire, the receiver's miss). */
  refused: number;
  /** This port's frames received, by receiving port. */
  receivedOn: number[];
}

export interface TrialResult {
  trial: number;
  ratePps: number;
  seconds: number;
  /** How long offering took: above `seconds`, the generator fell behind its schedule. */
  txSeconds: number;
  offered: number;
  refused: number;
  received: number;
  lost: number;
  outOfOrder: number;
  stale: number;
  foreign: number;
  noMbufPasses: number;
  maxBacklogFrames: number;
  ports: PortTally[];
  latency: LatencySummary;
}

export interface TrialSpec {
  ratePps: number;
  seconds: number;
  /** "64", or weighted sizes such as "64x7,570x4,1518x1" (frame sizes with FCS). */
  sizes: string;
  txPorts: number[];
  drainMs?: number;
}

export interface GeneratorOptions {
  filePrefix: string;
  cpu: number;
  vdevs: string[];
  ports: PortFrames[];
}

export class Generator {
  private readonly lines: string[] = [];
  private waiting?: (line: string) => void;
  private exited = false;
  private stderr = '';
  private nextTrial = 1;

  private constructor(private readonly child: ChildProcess) {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      if (this.waiting) {
        const resolve = this.waiting;
        this.waiting = undefined;
        resolve(line);
      } else this.lines.push(line);
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    child.on('exit', () => (this.exited = true));
  }

  static available(): boolean {
    return fs.existsSync(GENERATOR_BINARY);
  }

  static async start(options: GeneratorOptions): Promise<Generator> {
    if (!Generator.available()) throw new Error(`no ${GENERATOR_BINARY}: make -C bench/generator`);
    const eal = testpmdEal(options.filePrefix, `0@${options.cpu}`, options.vdevs);
    const ports = options.ports.flatMap((p, i) => ['--port', `${i},src=${p.src},dst=${p.dst}`]);
    const generator = new Generator(
      spawn(GENERATOR_BINARY, [...eal, '--', ...ports], { stdio: ['pipe', 'pipe', 'pipe'] }),
    );
    try {
      const ready = JSON.parse(await generator.nextLine(30000)) as { ready?: boolean; error?: string };
      if (!ready.ready) throw new Error(ready.error ?? 'no ready line');
    } catch (err) {
      await generator.stop();
      throw new Error(`the generator did not start: ${(err as Error).message}\n${generator.stderr}`);
    }
    return generator;
  }

  /** True once every port's link is up (waits at most timeoutMs). */
  async linksUp(timeoutMs: number): Promise<boolean> {
    const reply = JSON.parse(await this.ask(`links ${timeoutMs}`, timeoutMs + 5000)) as {
      links: Array<{ up: boolean }>;
    };
    return reply.links.every((link) => link.up);
  }

  async trial(spec: TrialSpec): Promise<TrialResult> {
    const drainMs = spec.drainMs ?? 200;
    const command =
      `trial id=${this.nextTrial++ & 0xffff} rate=${Math.round(spec.ratePps)} seconds=${spec.seconds} ` +
      `sizes=${spec.sizes} tx=${spec.txPorts.join(',')} drain_ms=${drainMs}`;
    const reply = JSON.parse(await this.ask(command, (2 * spec.seconds + 1) * 1000 + drainMs + 10000)) as
      TrialResult | { error: string };
    if ('error' in reply) throw new Error(`generator: ${reply.error}`);
    return reply;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.stdin!.end('quit\n');
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(timer);
  }

  private async ask(command: string, timeoutMs: number): Promise<string> {
    this.child.stdin!.write(`${command}\n`);
    return this.nextLine(timeoutMs);
  }

  private nextLine(timeoutMs: number): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`no answer from the generator in ${timeoutMs} ms${this.exited ? ' (it exited)' : ''}`));
      }, timeoutMs);
      this.waiting = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
    });
  }
}
