// What only the host can tell about an uplink right before the daemon probes it:
// - A tap or tun the daemon would make must not exist yet (its own tap:NAME refuses one itself,
//   with IFF_TUN_EXCL; checked here too, for the same message before anything is opened). net_tap opens an existing tap by its
//   name (multi-queue, as another DPDK process's or QEMU's may be) and at the end sets it down
//   and removes it: adopting one would take another VM's tap, or a host interface, and then break
//   it. So the daemon makes every tap itself and never touches an interface it did not make. (Only
//   a holder of CAP_NET_ADMIN could create the name between this check and the probe.)
// - A PCI device's options must be its driver family's, known by its vendor id.
import fs from 'fs';
import path from 'path';
import { isTapDriver, parseDevargs, pciOptionProblems } from '../config/devargs-rules';
import { deviceName } from '../config/device-name';

export interface HostView {
  /** The interfaces of the daemon's own network namespace, as /proc/self/net/dev lists them. */
  interfaces(): string[];
  /** A PCI device's vendor id ("0x8086"), undefined when the device is not there. */
  pciVendor(address: string): string | undefined;
}

export const THIS_HOST: HostView = {
  interfaces: () =>
    fs
      .readFileSync('/proc/self/net/dev', 'utf8')
      .split('\n')
      .slice(2)
      .map((line) => line.split(':')[0].trim())
      .filter((name) => name.length > 0),
  pciVendor: (address) => {
    try {
      return fs.readFileSync(path.join('/sys/bus/pci/devices', address, 'vendor'), 'utf8').trim();
    } catch {
      return undefined;
    }
  },
};

/** Why the daemon may not probe `devargs` now; empty when it may. */
export function deviceClaimProblems(devargs: string, host: HostView = THIS_HOST): string[] {
  const { driver, options } = parseDevargs(devargs);
  if (isTapDriver(driver)) {
    const iface = options.find((option) => option.key === 'iface')?.value;
    return iface !== undefined && host.interfaces().includes(iface)
      ? [
          `interface ${iface} exists already; the daemon makes its own taps and never adopts one (another VM's tap, a host interface): name a free one`,
        ]
      : [];
  }
  if (driver === 'pci') {
    const vendor = host.pciVendor(deviceName(devargs));
    return vendor === undefined ? [] : pciOptionProblems(devargs, vendor);
  }
  return [];
}

/** Throws naming the device and every problem deviceClaimProblems finds. */
export function checkDeviceClaim(devargs: string, host: HostView = THIS_HOST): void {
  const problems = deviceClaimProblems(devargs, host);
  if (problems.length > 0) throw new Error(`${devargs}: ${problems.join('; ')}`);
}
