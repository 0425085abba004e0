// Why DPDK could not open a PCI uplink, read from sysfs after the fact: EAL's own answer ("cannot
// probe device: No such device") does not say whether the address is wrong or the device is
// still bound to its kernel driver. Only read on a failure, never on the start-up path.
import fs from 'fs';
import path from 'path';
import { deviceName, isPciDevice } from '../config/device-name';

// Drivers through which a DPDK PCI PMD can reach a device from user space.
const USER_SPACE_DRIVERS = new Set(['vfio-pci', 'uio_pci_generic', 'igb_uio']);
// Drivers whose PMDs work through the kernel driver (bifurcated: mlx4, mlx5).
const BIFURCATED_DRIVERS = new Set(['mlx4_core', 'mlx5_core']);

/**
 * What keeps DPDK from the PCI device in `devargs`, with how to fix it; undefined when sysfs
 * shows nothing wrong (or the devargs name no PCI device).
 */
export function pciBindingProblem(devargs: string, sysfs = '/sys/bus/pci/devices'): string | undefined {
  if (!isPciDevice(devargs)) return undefined;
  const address = deviceName(devargs); // as sysfs names it: 0000:3b:02.1
  const device = path.join(sysfs, address);
  if (!fs.existsSync(device)) return `there is no PCI device ${address} on this host (see lspci -D)`;
  let driver: string | undefined;
  try {
    driver = path.basename(fs.readlinkSync(path.join(device, 'driver')));
  } catch {
    driver = undefined;
  }
  const bind = `bind it to vfio-pci (vhost-failover prepare-vf, or dpdk-devbind.py -b vfio-pci ${address})`;
  if (!driver) return `${address} is bound to no driver; ${bind}`;
  if (USER_SPACE_DRIVERS.has(driver) || BIFURCATED_DRIVERS.has(driver)) return undefined;
  return `${address} is bound to ${driver}, a kernel driver DPDK cannot share it with; ${bind}`;
}

/** An error's message with the PCI diagnosis appended, when there is one. */
export function withPciDiagnosis(message: string, devargs: string, sysfs?: string): string {
  const problem = pciBindingProblem(devargs, sysfs);
  return problem ? `${message} (${problem})` : message;
}
