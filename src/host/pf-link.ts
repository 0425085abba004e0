// Whether the PF behind a VF primary is down. A VF whose PF is down may read its link up and
// transmit nothing (the emulated 82576 does), and probing it afresh then is what locked up the VF
// lab's L1 kernel (docs/lab/notes/2026-12-06-vf-lab-link-return-reset.md): the retry waits for
// the PF instead. The PF's netdev is the host kernel's, read from sysfs.
import fs from 'fs';
import path from 'path';
import { deviceName, isPciDevice } from '../config/device-name';
import { vfOfPf } from './prepare-vf';

/** The PF's netdev when the VF behind `devargs` has one that is down; undefined otherwise (not a VF, no sysfs). */
export function downPfOf(devargs: string, sysfsRoot = '/sys'): string | undefined {
  if (!isPciDevice(devargs)) return undefined;
  try {
    const { pf } = vfOfPf(deviceName(devargs), sysfsRoot);
    const operstate = fs.readFileSync(path.join(sysfsRoot, 'class/net', pf, 'operstate'), 'utf8').trim();
    return operstate === 'down' || operstate === 'lowerlayerdown' ? pf : undefined;
  } catch {
    return undefined;
  }
}
