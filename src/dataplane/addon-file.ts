// The addon is native code the root daemon runs; VHOST_FAILOVER_ADDON may name another build
// (the sanitizer lab's). Whichever file is named, it is loaded only if root or the daemon's own
// user owns it and nobody else may write it, so that an environment variable cannot hand the
// daemon someone else's code. The checks are made on the open descriptor and the library is
// loaded through that descriptor (/proc/self/fd/N), so the path cannot be swapped in between.
import fs from 'fs';

const WRITABLE_BY_OTHERS = 0o022;

/** The file was found and is not one the daemon may run. */
export class AddonFileRefused extends Error {}

/** Why the open file may not be loaded as the daemon's code, or undefined if it may. */
export function addonFileRefusal(stat: fs.Stats, euid: number): string | undefined {
  if (!stat.isFile()) return 'it is not a regular file';
  if (stat.uid !== 0 && stat.uid !== euid) return `it is owned by uid ${stat.uid}, not root or the daemon's user`;
  if (stat.mode & WRITABLE_BY_OTHERS) return `its mode ${(stat.mode & 0o7777).toString(8)} lets others write it`;
  return undefined;
}

/** Opens the addon (libuv sets O_CLOEXEC) and hands its descriptor's path to `load`, then closes it. */
export function loadAddonFile<T>(file: string, load: (openPath: string) => T): T {
  const fd = fs.openSync(file, fs.constants.O_RDONLY);
  try {
    const refusal = addonFileRefusal(fs.fstatSync(fd), process.geteuid?.() ?? 0);
    if (refusal) throw new AddonFileRefused(`refusing to load ${file} as the data plane: ${refusal}`);
    return load(`/proc/self/fd/${fd}`);
  } finally {
    fs.closeSync(fd);
  }
}
