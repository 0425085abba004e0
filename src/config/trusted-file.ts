// The config file decides which devices, files and sockets the root daemon takes, so only root or
// the daemon's own user may be able to change it, as with sshd's StrictModes: the file and every
// directory above it (of its real path, symlinks resolved) must be owned by root or the daemon's
// user and writable by neither group nor others. A directory others may write is accepted only
// with the sticky bit and root's ownership (/tmp): there no one may rename or remove another's
// entry. The file is checked on the descriptor it is then read from, so it cannot be swapped
// between check and read.
import fs from 'fs';
import path from 'path';

const GROUP_OR_OTHERS_WRITE = 0o022;
/** A config file is a few KiB; anything this large is not one (and would be read whole). */
export const MAX_TRUSTED_FILE_BYTES = 1024 * 1024;
const STICKY = 0o1000;

/** The file could be changed by someone other than root or the daemon's user. */
export class UntrustedFileError extends Error {}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}

/** Why `stat` (of `what`) could be changed by someone other than root or `uid`; undefined if not. */
export function untrustedBecause(what: string, stat: fs.Stats, uid: number): string | undefined {
  const owners = uid === 0 ? 'root' : `root or uid ${uid} (the daemon's user)`;
  if (stat.uid !== 0 && stat.uid !== uid)
    return `${what} is owned by uid ${stat.uid}, not ${owners}; chown root ${what}`;
  if ((stat.mode & GROUP_OR_OTHERS_WRITE) === 0) return undefined;
  if (stat.isDirectory() && stat.mode & STICKY && stat.uid === 0) return undefined;
  return `${what} is writable by its group or others (mode ${octal(stat.mode)}); chmod go-w ${what}`;
}

/**
 * Reads `file` if it and its directories pass the rule above; otherwise throws an
 * UntrustedFileError naming the one that fails and the command that fixes it.
 */
export function readTrustedFile(file: string, uid: number = process.getuid?.() ?? 0): string {
  // O_NONBLOCK: a FIFO put in the file's place must not hang the start or a reload in open().
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOCTTY | fs.constants.O_NONBLOCK);
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new Error(`${file} is not a regular file`);
    if (stat.size > MAX_TRUSTED_FILE_BYTES)
      throw new Error(`${file} is ${stat.size} bytes, more than a config file's ${MAX_TRUSTED_FILE_BYTES}`);
    const problem = untrustedBecause(file, stat, uid);
    if (problem) throw new UntrustedFileError(problem);
    const real = fs.readlinkSync(`/proc/self/fd/${fd}`);
    for (let dir = path.dirname(real); ; dir = path.dirname(dir)) {
      const above = untrustedBecause(dir, fs.statSync(dir), uid);
      if (above) throw new UntrustedFileError(`its directory ${above}`);
      if (dir === '/') break;
    }
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}
