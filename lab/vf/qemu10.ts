// QEMU 10 from bookworm-backports, unpacked by scripts/setup-lab (lab/vf/fetch-qemu10.sh) under
// build/lab/qemu10, never installed: the system's QEMU 7.2 stays as it is. The one place that
// knows where it lives; anything that runs it (the VF lab's L1 host, migration tests) starts it
// with qemu10Command().
import fs from 'fs';
import path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..', 'build', 'lab', 'qemu10');
export const QEMU10_BINARY = path.join(ROOT, 'usr', 'bin', 'qemu-system-x86_64');
/** Its firmware and option ROMs (-L), with the system's seabios and ipxe files added. */
export const QEMU10_DATA_DIR = path.join(ROOT, 'usr', 'share', 'qemu');
/** Its loadable modules; the system's are QEMU 7.2's, which QEMU 10 refuses. */
export const QEMU10_MODULE_DIR = path.join(ROOT, 'usr', 'lib', 'x86_64-linux-gnu', 'qemu');

export function qemu10Installed(): boolean {
  return fs.existsSync(path.join(ROOT, '.unpacked'));
}

/** argv and environment that run QEMU 10 with its own data and modules. */
export function qemu10Command(args: string[]): { argv: string[]; env: NodeJS.ProcessEnv } {
  if (!qemu10Installed()) throw new Error(`QEMU 10 is not unpacked under ${ROOT}: run scripts/setup-lab`);
  return {
    argv: [QEMU10_BINARY, '-L', QEMU10_DATA_DIR, ...args],
    env: { ...process.env, QEMU_MODULE_DIR: QEMU10_MODULE_DIR },
  };
}
