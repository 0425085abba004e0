// Whether a VF's PF took the guest's MAC. A PF refuses a VF's new MAC where its administrator
// pinned another (`ip link set <pf> vf N mac ...`) and trust is off, and tells only the VF, in a
// mailbox reply that DPDK's igbvf ignores: the port then reports the MAC it asked for while the
// PF keeps filtering on its own. The PF's record (its netdev's VF list) is the one to ask.
import { execFileSync } from 'child_process';
import { deviceName, isPciDevice } from '../config/device-name';
import { vfOfPf } from './prepare-vf';

interface IpLink {
  vfinfo_list?: Array<{ vf: number; address: string; trust?: boolean }>;
}

/** `ip -j link show dev <netdev>`; tests replace it. */
export type ShowLink = (netdev: string) => IpLink[];

const showLink: ShowLink = (netdev) =>
  JSON.parse(execFileSync('ip', ['-j', 'link', 'show', 'dev', netdev], { encoding: 'utf8' })) as IpLink[];

/**
 * Why the PF did not take `mac` for the VF behind `devargs`, or undefined when it did, or when
 * there is no PF to ask (not a VF, no sysfs, no ip): the daemon then relies on the port's word.
 */
export function pfRefusedMac(
  devargs: string,
  mac: string,
  sysfsRoot = '/sys',
  show: ShowLink = showLink,
): string | undefined {
  if (!isPciDevice(devargs)) return undefined;
  let vf: ReturnType<typeof vfOfPf>;
  let record: { address: string; trust?: boolean } | undefined;
  try {
    vf = vfOfPf(deviceName(devargs), sysfsRoot);
    record = show(vf.pf)[0]?.vfinfo_list?.find((entry) => entry.vf === vf.vfIndex);
  } catch {
    return undefined;
  }
  if (!record || record.address.toLowerCase() === mac.toLowerCase()) return undefined;
  const trust =
    record.trust === false
      ? `; with trust off it keeps an administrator's MAC: \`ip link set ${vf.pf} vf ${vf.vfIndex} trust on\` lets the daemon replace it`
      : '';
  return (
    `the PF ${vf.pf} keeps VF ${vf.vfIndex}'s MAC ${record.address} and refused the guest's ${mac}${trust}, ` +
    `or give the VF the guest's MAC (\`ip link set ${vf.pf} vf ${vf.vfIndex} mac ${mac}\`) and use guestMac: keep`
  );
}
