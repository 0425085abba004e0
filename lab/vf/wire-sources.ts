// Whose frames a set of PF wires carried, by source MAC, over a window: tcpdump on each wire (a
// tap in the test's namespace) writes only each frame's Ethernet addresses (-s 12) to a pcap file,
// and the file is counted here. Many VFs share a PF's wire, and their guests' MACs tell their
// frames apart. tcpdump's own drops are reported with the counts, never hidden.
import { spawn } from 'child_process';
import fs from 'fs';
import path from 'path';
import { CollectedProcess } from '../collected-process';
import type { Netns } from '../netns';
import { waitFor } from '../wait';

export interface WireSources {
  /** Frames by source MAC (lower case, colon-separated), per wire. */
  byWire: Record<string, Map<string, number>>;
  /** Frames each wire's capture lost in the kernel ("dropped by kernel"). */
  droppedByCapture: Record<string, number>;
}

const PCAP_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
const PCAP_MAGIC_LE = 0xa1b2c3d4;

/** Frames by source MAC in a classic little-endian pcap file holding at least 12 bytes a frame. */
export function sourcesInPcap(file: string): Map<string, number> {
  const data = fs.readFileSync(file);
  if (data.length < PCAP_HEADER_BYTES || data.readUInt32LE(0) !== PCAP_MAGIC_LE)
    throw new Error(`${file} is not a little-endian pcap file`);
  const counts = new Map<string, number>();
  for (let at = PCAP_HEADER_BYTES; at + RECORD_HEADER_BYTES <= data.length;) {
    const captured = data.readUInt32LE(at + 8);
    const frame = at + RECORD_HEADER_BYTES;
    if (captured >= 12 && frame + 12 <= data.length) {
      const mac = [...data.subarray(frame + 6, frame + 12)].map((b) => b.toString(16).padStart(2, '0')).join(':');
      counts.set(mac, (counts.get(mac) ?? 0) + 1);
    }
    at = frame + captured;
  }
  return counts;
}

/** Counts the frames each of `wires` (in `netns`) carried from L1 for `windowMs`, by source MAC. */
export async function wireSourcesIn(
  netns: Netns,
  wires: string[],
  dir: string,
  windowMs: number,
): Promise<WireSources> {
  const captures = wires.map((wire) => {
    const file = path.join(dir, `${wire}-sources.pcap`);
    // -Q in: what the PF put on the wire, not what the test sent; -B: room for TCG's bursts.
    const args = ['netns', 'exec', netns.name, 'tcpdump', '-n', '-Q', 'in', '-s', '12', '-B', '16384'];
    const child = spawn('ip', [...args, '-i', wire, '-w', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    return { wire, file, tcpdump: new CollectedProcess(child) };
  });
  try {
    for (const { wire, tcpdump } of captures)
      await waitFor(`tcpdump to listen on ${wire}`, () => {
        if (tcpdump.exited) throw new Error(`tcpdump on ${wire} exited: ${tcpdump.output}`);
        return tcpdump.output.includes('listening on');
      });
    await new Promise((resolve) => setTimeout(resolve, windowMs));
  } finally {
    for (const { wire, tcpdump } of captures) await tcpdump.stop('SIGTERM', 10000, `tcpdump on ${wire}`);
  }
  const sources: WireSources = { byWire: {}, droppedByCapture: {} };
  for (const { wire, file, tcpdump } of captures) {
    sources.byWire[wire] = sourcesInPcap(file);
    sources.droppedByCapture[wire] = Number(/(\d+) packets? dropped by kernel/.exec(tcpdump.output)?.[1] ?? NaN);
    fs.rmSync(file, { force: true });
  }
  return sources;
}
