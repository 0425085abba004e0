// The CLI run as an unprivileged user, from a checkout that user may not reach: a clone under
// /root (mode 0700) is the common case. The checkout is bind-mounted at a directory anyone can
// traverse, inside a mount namespace of the command's own, so the mount dies with the command and
// nothing on the host changes; only the run-time paths the test hands the CLI decide what it may do.
import { spawnSync, type SpawnSyncReturns } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

/** The checkout: the compiled CLI is <checkout>/dist/src/cli.js. */
const CHECKOUT = path.resolve(__dirname, '..', '..');
const CLI_IN_CHECKOUT = path.join('dist', 'src', 'cli.js');

export function cliAsUser(user: string, group: string | undefined, args: string[]): SpawnSyncReturns<string> {
  const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-checkout-'));
  fs.chmodSync(mountPoint, 0o755);
  try {
    const runAs = ['runuser', '-u', user, ...(group ? ['-g', group] : []), '--'];
    const script = 'mount --bind "$1" "$2" && shift 2 && exec "$@"';
    return spawnSync(
      'unshare',
      [
        ...['--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', CHECKOUT, mountPoint],
        ...[...runAs, process.execPath, path.join(mountPoint, CLI_IN_CHECKOUT), ...args],
      ],
      { encoding: 'utf8', timeout: 60000 },
    );
  } finally {
    fs.rmdirSync(mountPoint);
  }
}
