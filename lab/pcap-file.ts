// Reads a classic pcap file (as the capture op writes it) without tcpdump: its header and each
// record's time, lengths and bytes, so a test can check what a capture holds.
import fs from 'fs';

export interface PcapRecord {
  timeUs: number;
  /** Bytes kept in the file (at most the snaplen). */
  capturedBytes: number;
  /** The frame's length as it passed. */
  wireBytes: number;
  data: Buffer;
}

export interface PcapFile {
  snaplen: number;
  linktype: number;
  records: PcapRecord[];
}

const MAGIC_MICROSECONDS = 0xa1b2c3d4;

export function readPcap(file: string): PcapFile {
  const bytes = fs.readFileSync(file);
  if (bytes.length < 24 || bytes.readUInt32LE(0) !== MAGIC_MICROSECONDS)
    throw new Error(`${file} is not a little-endian microsecond pcap file`);
  const records: PcapRecord[] = [];
  let at = 24;
  while (at < bytes.length) {
    if (at + 16 > bytes.length) throw new Error(`${file}: a record header cut short at byte ${at}`);
    const capturedBytes = bytes.readUInt32LE(at + 8);
    const data = bytes.subarray(at + 16, at + 16 + capturedBytes);
    if (data.length !== capturedBytes) throw new Error(`${file}: a record cut short at byte ${at}`);
    records.push({
      timeUs: bytes.readUInt32LE(at) * 1e6 + bytes.readUInt32LE(at + 4),
      capturedBytes,
      wireBytes: bytes.readUInt32LE(at + 12),
      data,
    });
    at += 16 + capturedBytes;
  }
  return { snaplen: bytes.readUInt32LE(16), linktype: bytes.readUInt32LE(20), records };
}

/** A frame's Ethernet addresses, as ip and the config write them. */
export function frameMacs(frame: Buffer): { destination: string; source: string } {
  const mac = (at: number) =>
    [...frame.subarray(at, at + 6)].map((byte) => byte.toString(16).padStart(2, '0')).join(':');
  return { destination: mac(0), source: mac(6) };
}
