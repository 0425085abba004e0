// A network namespace the test owns: the "network" side of the switch. Created with a unique
// name, removed (with everything in it) on dispose.
import { execFileSync, spawn } from 'child_process';

export function sh(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface LinkCounters {
  rxPackets: number;
  txPackets: number;
  rxDropped: number;
}

export class Netns {
  readonly name: string;

  constructor(prefix: string) {
    this.name = `${prefix}-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
    sh('ip', ['netns', 'add', this.name]);
    this.ip('link', 'set', 'lo', 'up');
    // No IPv6 chatter (router solicitations, MLD) in the interface counters the tests read.
    this.exec('sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
  }

  exec(command: string, ...args: string[]): string {
    return sh('ip', ['netns', 'exec', this.name, command, ...args]);
  }

  ip(...args: string[]): string {
    return sh('ip', ['-n', this.name, ...args]);
  }

  /** A bridge with an address; the taps join it once the daemon has created them. */
  addBridge(bridge: string, cidr: string): void {
    // A fixed address, or the bridge takes the lowest of its ports' and changes as they join.
    this.ip(
      'link',
      'add',
      bridge,
      'address',
      '02:00:00:00:0b:01',
      'type',
      'bridge',
      'forward_delay',
      '0',
      'stp_state',
      '0',
    );
    this.ip('addr', 'add', cidr, 'dev', bridge);
    this.ip('link', 'set', bridge, 'up');
  }

  hasLink(name: string): boolean {
    try {
      this.ip('link', 'show', 'dev', name);
      return true;
    } catch {
      return false;
    }
  }

  setLink(name: string, state: 'up' | 'down'): void {
    this.ip('link', 'set', 'dev', name, state);
  }

  /** The bridge port on which `bridge` has learned `mac`, if any. */
  learnedPort(bridge: string, mac: string): string | undefined {
    const entries = JSON.parse(sh('bridge', ['-n', this.name, '-j', 'fdb', 'show', 'br', bridge])) as Array<{
      mac: string;
      ifname: string;
      flags?: string[];
      state?: string;
    }>;
    return entries.find((entry) => entry.mac === mac.toLowerCase() && entry.state !== 'permanent')?.ifname;
  }

  counters(name: string): LinkCounters {
    const [link] = JSON.parse(this.ip('-j', '-s', 'link', 'show', 'dev', name)) as Array<{
      stats64: { rx: { packets: number; dropped: number }; tx: { packets: number } };
    }>;
    return {
      rxPackets: link.stats64.rx.packets,
      txPackets: link.stats64.tx.packets,
      rxDropped: link.stats64.rx.dropped,
    };
  }

  dispose(): void {
    try {
      sh('ip', ['netns', 'del', this.name]);
    } catch {
      // already gone
    }
  }
}

/** Runs a command inside a namespace to its end, without blocking; resolves with all it printed. */
export function runInNetns(netns: string, command: string[]): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', netns, ...command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', () => resolve(output));
  });
}
