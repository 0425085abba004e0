// Where each ping crossed the lab's bridge: one tcpdump on every interface of the namespace (the
// bridge's own port and each tap, with the direction), so a lost ping can be placed: never sent
// by the namespace, sent by the bridge out of a port that no longer leads to the guest, handed to
// the guest's daemon and never answered, or answered and not taken. ARP and RARP frames are kept
// too: they are what moves the bridge's entries and the namespace's neighbour.
import { Capture } from './capture';
import { BRIDGE } from './topology';

/** One frame of the trace: when, on which interface, in which direction, from which MAC, and what. */
interface TracedFrame {
  atMs: number;
  iface: string;
  direction: string;
  source: string;
  what: string;
}

/** A frame of `tcpdump -i any -tt -n -e`: `TIME IFACE In|Out ifindex N MAC ethertype ...: WHAT`. */
function parseFrame(line: string): TracedFrame | undefined {
  const match = /^(\d+\.\d+) (\S+)\s+(In|Out|B|M|P)\s+ifindex \d+ (\S+) ethertype [^:]*: (.*)$/.exec(line);
  if (!match) return undefined;
  return { atMs: Number(match[1]) * 1000, iface: match[2], direction: match[3], source: match[4], what: match[5] };
}

function isEcho(frame: TracedFrame, seq: number): boolean {
  return new RegExp(`ICMP echo (request|reply), id \\d+, seq ${seq},`).test(frame.what);
}

/** ARP and RARP frames this close to a lost ping are shown with it. */
const NEARBY_MS = 100;

export class EchoTrace {
  private constructor(private readonly capture: Capture) {}

  /** Starts tracing (immediate mode: a frame is printed when it is seen, not when a buffer fills). */
  static async start(netns: string): Promise<EchoTrace> {
    return new EchoTrace(await Capture.start(netns, 'any', 'icmp or arp or rarp', ['-tt', '--immediate-mode']));
  }

  stop(): void {
    this.capture.stop();
  }

  /** Whether a reply to echo `seq` has crossed the bridge (ping may have stopped before it came). */
  answered(seq: number): boolean {
    return this.frames().some((frame) => isEcho(frame, seq) && frame.what.includes('echo reply'));
  }

  private frames(): TracedFrame[] {
    return this.capture
      .lines()
      .map(parseFrame)
      .filter((frame): frame is TracedFrame => frame !== undefined);
  }

  /**
   * Each crossing of echo `seq` (request and reply), ms from its first, then the ARP and RARP
   * frames that entered the bridge within NEARBY_MS of it; `names` replaces interface names with
   * what they are.
   */
  describe(seq: number, names: Record<string, string>): string {
    const frames = this.frames();
    const echo = frames.filter((frame) => isEcho(frame, seq));
    if (echo.length === 0) return `seq ${seq} seen nowhere`;
    const firstMs = echo[0].atMs;
    const at = (frame: TracedFrame) =>
      `${(frame.atMs - firstMs).toFixed(1)} ms ${names[frame.iface] ?? frame.iface} ${frame.direction}`;
    const showEcho = (frame: TracedFrame) => `${at(frame)} ${/echo (request|reply)/.exec(frame.what)![0]}`;
    const showArp = (frame: TracedFrame) =>
      `${at(frame)} from ${frame.source}: ${frame.what.replace(/, length \d+$/, '')}`;
    // Each as it entered the bridge (from a tap, or sent by the namespace), not its copies out of every port.
    const entering = (frame: TracedFrame) => (frame.iface === BRIDGE) === (frame.direction === 'Out');
    const nearby = frames.filter(
      (frame) => !frame.what.includes('ICMP') && entering(frame) && Math.abs(frame.atMs - firstMs) <= NEARBY_MS,
    );
    return (
      `seq ${seq}: ${echo.map(showEcho).join(', ')}` +
      (nearby.length > 0 ? `; ARP and RARP within ${NEARBY_MS} ms: ${nearby.map(showArp).join(', ')}` : '')
    );
  }
}
