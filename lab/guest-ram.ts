// A live migration's memory check: the stopped source's guest RAM against the destination's once
// it has loaded, before the guest runs again. Both QEMUs are on this machine and back the guest
// with a memfd, so each side's RAM is read whole through /proc/PID/fd, byte for byte as the guest
// sees it. A page that differs was lost on the way: QEMU's dirty tracking missed a store, or a
// backend wrote guest memory after handing the rings back. It is seen at the migration that
// lost it, not later as a guest kernel's panic.
import fs from 'fs';
import path from 'path';

const PAGE_BYTES = 4096;
const CHUNK_BYTES = 1 << 20;
/** Differing pages named in a report; the count covers them all. */
const PAGES_NAMED = 8;

export interface GuestRamComparison {
  bytes: number;
  differingPages: number;
  /** Offsets into guest RAM of the first differing pages. */
  firstDifferingAt: number[];
  elapsedMs: number;
}

/**
 * What QEMU names the memfd of a memory-backend-memfd (its type, whatever the object's id); its
 * other memfds (vhost-log, the dirty log it shares with the backend) are named otherwise.
 */
const RAM_MEMFD = '/memfd:memory-backend-memfd';

/** The path under /proc of a QEMU's guest RAM memfd (the lab's guests have exactly one). */
function ramFile(qemuPid: number): string {
  const fds = `/proc/${qemuPid}/fd`;
  const ram = fs
    .readdirSync(fds)
    .map((fd) => path.join(fds, fd))
    .filter((fd) => fs.readlinkSync(fd, { encoding: 'utf8' }).replace(/ \(deleted\)$/, '') === RAM_MEMFD);
  if (ram.length !== 1) throw new Error(`QEMU ${qemuPid} holds ${ram.length} memfds named ${RAM_MEMFD}, not one`);
  return ram[0];
}

export function compareGuestRam(sourcePid: number, destinationPid: number): GuestRamComparison {
  const startedAt = Date.now();
  const source = fs.openSync(ramFile(sourcePid), 'r');
  const destination = fs.openSync(ramFile(destinationPid), 'r');
  try {
    const bytes = fs.fstatSync(source).size;
    const destinationBytes = fs.fstatSync(destination).size;
    if (bytes !== destinationBytes) throw new Error(`guest RAM sizes differ: ${bytes} and ${destinationBytes} bytes`);
    const a = Buffer.alloc(CHUNK_BYTES);
    const b = Buffer.alloc(CHUNK_BYTES);
    const firstDifferingAt: number[] = [];
    let differingPages = 0;
    for (let offset = 0; offset < bytes; offset += CHUNK_BYTES) {
      const length = Math.min(CHUNK_BYTES, bytes - offset);
      fs.readSync(source, a, 0, length, offset);
      fs.readSync(destination, b, 0, length, offset);
      if (a.compare(b, 0, length, 0, length) === 0) continue;
      for (let page = 0; page < length; page += PAGE_BYTES) {
        const end = Math.min(page + PAGE_BYTES, length);
        if (a.compare(b, page, end, page, end) === 0) continue;
        differingPages++;
        if (firstDifferingAt.length < PAGES_NAMED) firstDifferingAt.push(offset + page);
      }
    }
    return { bytes, differingPages, firstDifferingAt, elapsedMs: Date.now() - startedAt };
  } finally {
    fs.closeSync(source);
    fs.closeSync(destination);
  }
}

export function describeRamDifference(comparison: GuestRamComparison): string {
  const where = comparison.firstDifferingAt.map((offset) => `0x${offset.toString(16)}`).join(', ');
  return `${comparison.differingPages} of ${comparison.bytes / PAGE_BYTES} guest pages differ between the stopped source and the loaded destination (first at ${where})`;
}
