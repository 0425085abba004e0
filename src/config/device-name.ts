// DPDK identifies a device by the part of its devargs before the first ',': the options after it
// configure the device but do not make it a different one.

// A PCI address may leave out the domain ("3b:02.1") and use either case for hex digits.
const PCI_ADDRESS = /^(?:([0-9a-f]{1,4}):)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i;

/** The device that `devargs` names, spelled one way, so that two spellings compare equal. */
export function deviceName(devargs: string): string {
  const name = devargs.split(',')[0];
  const pci = PCI_ADDRESS.exec(name);
  if (!pci) return name;
  const [, domain = '0', bus, slot, fn] = pci;
  return `${domain.padStart(4, '0')}:${bus}:${slot}.${fn}`.toLowerCase();
}

/** True when `devargs` names a PCI device (a VF, a NIC) rather than a virtual device. */
export function isPciDevice(devargs: string): boolean {
  return PCI_ADDRESS.test(devargs.split(',')[0]);
}
