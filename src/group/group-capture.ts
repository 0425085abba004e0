// The capture op: a group's frames mirrored to a pcap file, as dpdk-pdump and ovs-tcpdump do. The
// daemon names the file, in a directory of its own beside the control socket (mode 0700: the
// files hold guests' traffic), so no client chooses where a root process writes; the native side
// creates it exclusively (never an existing file or a symlink) and bounds its time and size.
import fs from 'fs';
import path from 'path';
import type { CaptureLimits, CaptureReport } from '../dataplane';

export const CAPTURE_SECONDS_DEFAULT = 10;
export const CAPTURE_SECONDS_MAX = 3600;
export const CAPTURE_MAX_BYTES_DEFAULT = 10 * 1024 * 1024;
export const CAPTURE_MAX_BYTES_MAX = 1024 * 1024 * 1024;
/** Bytes kept of each frame by default: all of a jumbo frame. */
export const CAPTURE_SNAPLEN_DEFAULT = 65535;
/** The pcap file's own header: a smaller bound could hold no frame. */
const PCAP_FILE_HEADER_BYTES = 24;

/** What a capture of one group needs of it. */
export interface CapturedGroup {
  readonly name: string;
  startCapture(file: string, limits: CaptureLimits): void;
  captureReport(): CaptureReport | undefined;
}

/** The directory of a daemon's captures: beside its control socket. */
export function captureDirectory(controlSocket: string): string {
  return path.join(path.dirname(controlSocket), 'captures');
}

/** Makes the directory (0700) unless it is there, and refuses one that is not the daemon's alone. */
function ensureCaptureDirectory(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = fs.lstatSync(dir);
  const uid = process.geteuid?.() ?? 0;
  if (!stat.isDirectory()) throw new Error(`${dir} is not a directory; remove it, and the daemon makes it`);
  if (stat.uid !== uid || (stat.mode & 0o077) !== 0)
    throw new Error(`${dir} must be the daemon's alone (owner uid ${uid}, mode 0700); chmod 0700 ${dir}`);
}

/** `<dir>/<group>-<time>.pcap`, the time in UTC without colons (a file name a shell need not quote). */
export function captureFileName(dir: string, group: string, at: Date): string {
  return path.join(dir, `${group}-${at.toISOString().replace(/[-:.]/g, '')}.pcap`);
}

/** Limits from a request's seconds, maxBytes and snaplen, each checked against its range. */
export function captureLimits(args: Record<string, unknown>): CaptureLimits {
  const integer = (name: string, value: unknown, fallback: number, min: number, max: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      throw new Error(`"${name}" must be an integer from ${min} to ${max}`);
    return value;
  };
  return {
    durationMs: integer('seconds', args.seconds, CAPTURE_SECONDS_DEFAULT, 1, CAPTURE_SECONDS_MAX) * 1000,
    maxBytes: integer(
      'maxBytes',
      args.maxBytes,
      CAPTURE_MAX_BYTES_DEFAULT,
      PCAP_FILE_HEADER_BYTES,
      CAPTURE_MAX_BYTES_MAX,
    ),
    snaplen: integer('snaplen', args.snaplen, CAPTURE_SNAPLEN_DEFAULT, 14, CAPTURE_SNAPLEN_DEFAULT),
  };
}

/** Starts a capture of `group` into a new file of `dir`; its report as it starts. */
export function startGroupCapture(dir: string, group: CapturedGroup, limits: CaptureLimits): CaptureReport {
  ensureCaptureDirectory(dir);
  group.startCapture(captureFileName(dir, group.name, new Date()), limits);
  return group.captureReport()!;
}
