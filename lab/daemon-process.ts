// The real daemon as a child process, run inside the test's network namespace so the net_tap
// ports it creates are born there: the tap PMD reads link state by ioctl on a socket of the
// namespace it was created in, and reads "down" forever once its interface is moved elsewhere.
import { spawn, type ChildProcess } from 'child_process';
import fs from 'fs';
import path from 'path';
import { request } from '../src/control/client';
import type { GroupStatusReply, StatsReply } from '../src/control/protocol';
import type { Netns } from './netns';
import { sanitizerLaunch } from './sanitizer-env';
import { waitFor } from './wait';

const CLI = path.resolve(__dirname, '..', 'src', 'cli.js');

export class DaemonProcess {
  private readonly child: ChildProcess;
  private exitCode: number | null | undefined;
  private output = '';
  private errors = ''; // stderr alone: where the CLI says why it stopped

  private constructor(
    readonly configPath: string,
    readonly controlSocket: string,
    netns?: Netns,
    env: NodeJS.ProcessEnv = {},
    wrapper: string[] = [],
  ) {
    const sanitizer = sanitizerLaunch();
    const command = [...wrapper, ...sanitizer.prefix, process.execPath, CLI, 'run', '--config', configPath];
    const [program, ...args] = netns ? ['ip', 'netns', 'exec', netns.name, ...command] : command;
    this.child = spawn(program, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...sanitizer.env, ...env },
    });
    const collect = (chunk: Buffer) => (this.output += chunk.toString('utf8'));
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', (chunk: Buffer) => {
      collect(chunk);
      this.errors += chunk.toString('utf8');
    });
    this.child.on('exit', (code) => (this.exitCode = code));
  }

  /**
   * Writes the config and spawns the daemon, without waiting for anything. `env`: more
   * environment (NOTIFY_SOCKET, WATCHDOG_USEC...); `wrapper`: a command it runs under (taskset,
   * unshare), inside the namespace.
   */
  static launch(
    config: object,
    dir: string,
    netns?: Netns,
    env?: NodeJS.ProcessEnv,
    wrapper?: string[],
  ): DaemonProcess {
    const configPath = path.join(dir, 'daemon.json');
    fs.writeFileSync(configPath, JSON.stringify(config, null, 2));
    const controlSocket = (config as { control: { socket: string } }).control.socket;
    return new DaemonProcess(configPath, controlSocket, netns, env, wrapper);
  }

  /** Spawns the daemon (see launch); resolves once its control socket answers. */
  static async start(
    config: object,
    dir: string,
    netns?: Netns,
    env?: NodeJS.ProcessEnv,
    wrapper?: string[],
  ): Promise<DaemonProcess> {
    const daemon = DaemonProcess.launch(config, dir, netns, env, wrapper);
    try {
      await waitFor(
        'the daemon to answer on its control socket',
        async () => {
          if (daemon.exitCode !== undefined) throw new Error(`daemon exited (${daemon.exitCode}):\n${daemon.log}`);
          return (await request(daemon.controlSocket, 'groups', {}, 1000)) !== undefined;
        },
        30000,
        50,
      );
    } catch (err) {
      await daemon.stop();
      throw err;
    }
    return daemon;
  }

  get log(): string {
    return this.output;
  }

  get stderr(): string {
    return this.errors;
  }

  /** The daemon's own pid (ip netns exec runs it in place). */
  get pid(): number {
    return this.child.pid!;
  }

  get exited(): boolean {
    return this.exitCode !== undefined;
  }

  /** Resolves once the daemon has written a log line matching `pattern`. */
  async waitForLog(pattern: RegExp, timeoutMs = 30000): Promise<void> {
    await waitFor(
      `the daemon to log ${pattern}`,
      () => {
        if (pattern.test(this.output)) return true;
        if (this.exitCode !== undefined) throw new Error(`daemon exited (${this.exitCode}):\n${this.output}`);
        return false;
      },
      timeoutMs,
      5,
    );
  }

  /** Resolves with the exit status (null: killed by a signal) once the daemon has exited. */
  async exit(timeoutMs = 30000): Promise<number | null> {
    await waitFor('the daemon to exit', () => this.exitCode !== undefined, timeoutMs);
    return this.exitCode!;
  }

  status(): Promise<GroupStatusReply[]> {
    return request(this.controlSocket, 'status');
  }

  stats(): Promise<StatsReply> {
    return request(this.controlSocket, 'stats');
  }

  /** Sends a signal (SIGHUP: reload) to the daemon. */
  signal(name: NodeJS.Signals): void {
    this.child.kill(name);
  }

  /** SIGTERM (the clean path under test), SIGKILL if it hangs. Returns the exit code. */
  async stop(): Promise<number | null | undefined> {
    if (this.exitCode === undefined) {
      this.child.kill('SIGTERM');
      try {
        await waitFor('the daemon to exit on SIGTERM', () => this.exitCode !== undefined, 15000);
      } catch {
        this.child.kill('SIGKILL');
        await waitFor('the daemon to exit on SIGKILL', () => this.exitCode !== undefined, 5000);
      }
    }
    return this.exitCode;
  }
}
