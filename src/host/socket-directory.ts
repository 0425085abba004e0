// A directory the daemon binds or finds sockets in. A vhost-user socket carries a guest's memory
// and the control socket the right to change the daemon, so whoever may put an entry there can
// take them: their own listener in place of a vhost socket receives QEMU's connection. So the
// daemon makes the directory when it is missing, and uses it only if:
// - it is not a symlink: it is opened O_DIRECTORY|O_NOFOLLOW, and what follows is checked on that
//   descriptor (fstat), never on a path someone could change in between;
// - root or the daemon's own user owns it;
// - others may not write it, and its group only with the sticky bit, as in the directory the unit
//   file describes for QEMU's client-mode sockets (1770 root:libvirt-qemu): there no one may
//   remove or rename another's entry, so the daemon's sockets stay its own;
// - every directory above it (of its real path) passes the config file's rule (trusted-file.ts),
//   so no one else may rename it away either.
import fs from 'fs';
import path from 'path';
import { untrustedBecause } from '../config/trusted-file';
import { directoryError } from './directory-error';

const OTHERS_WRITE = 0o002;
const GROUP_WRITE = 0o020;
const STICKY = 0o1000;

/** Why an open directory (`stat` of `dir`) may not hold the daemon's sockets; undefined if it may. */
export function socketDirectoryRefusal(dir: string, stat: fs.Stats, uid: number): string | undefined {
  const mode = `0${(stat.mode & 0o7777).toString(8)}`;
  if (!stat.isDirectory()) return `${dir} is not a directory`;
  if (stat.uid !== 0 && stat.uid !== uid)
    return `${dir} is owned by uid ${stat.uid}, not root or the daemon's user; chown root ${dir}, or choose another directory`;
  if (stat.mode & OTHERS_WRITE) return `${dir} is writable by others (mode ${mode}); chmod o-w ${dir}`;
  if (stat.mode & GROUP_WRITE && !(stat.mode & STICKY))
    return `${dir} is writable by its group without the sticky bit (mode ${mode}); chmod g-w or +t ${dir}`;
  return undefined;
}

/**
 * Makes `dir` (mode 0755: QEMU, under its own user, must reach the sockets) if it is missing, and
 * throws, naming the directory and what to change, unless it passes the rules above.
 */
export function ensureSocketDirectory(dir: string, uid: number = process.geteuid?.() ?? 0): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  } catch (err) {
    throw new Error(directoryError(dir, err));
  }
  let fd: number;
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  } catch (err) {
    // O_NOFOLLOW refuses a symlink (ENOTDIR with O_DIRECTORY, ELOOP without); lstat only names it.
    if (fs.lstatSync(dir, { throwIfNoEntry: false })?.isSymbolicLink())
      throw new Error(`${dir} is a symlink; name the directory it points to, if it is to be used`);
    throw new Error(`cannot open ${dir}: ${(err as Error).message}`);
  }
  try {
    const refusal = socketDirectoryRefusal(dir, fs.fstatSync(fd), uid);
    if (refusal) throw new Error(refusal);
    const real = fs.readlinkSync(`/proc/self/fd/${fd}`);
    for (let above = path.dirname(real); real !== '/'; above = path.dirname(above)) {
      const problem = untrustedBecause(above, fs.statSync(above), uid);
      if (problem) throw new Error(`${dir}: its directory ${problem}`);
      if (above === '/') break;
    }
  } finally {
    fs.closeSync(fd);
  }
}
