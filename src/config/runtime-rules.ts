// What control clients may name at run time (add-group, attach), beyond what a config file may:
// the daemon creates and removes socket files there as root, and takes over devices. The config
// file's own paths and devices are the operator's and need no such rule.
import fs from 'fs';
import path from 'path';
import { devargsSocketPaths, isTapDriver, kernelInterfaces, liesUnder, parseDevargs } from './devargs-rules';
import { deviceName } from './device-name';
import type { Config, GroupConfig } from './types';

/** control.runtimeDirectories, or else the directories of the config file's own sockets. */
export function runtimeDirectories(config: Config): string[] {
  if (config.control.runtimeDirectories) return [...config.control.runtimeDirectories];
  const sockets = [
    config.control.socket,
    ...config.groups.flatMap((group) => [group.vhost.socket, ...(group.qmp ? [group.qmp.socket] : [])]),
  ];
  return [...new Set(sockets.map((socket) => path.dirname(socket)))];
}

/** The paths a new group would create or connect to: its sockets, and sockets its devargs name. */
export function groupPaths(group: GroupConfig): string[] {
  return [
    group.vhost.socket,
    ...(group.qmp ? [group.qmp.socket] : []),
    ...devargsSocketPaths(group.primary.devargs),
    ...devargsSocketPaths(group.standby.devargs),
  ];
}

/** The paths outside `directories`. */
export function pathsOutside(paths: string[], directories: readonly string[]): string[] {
  return paths.filter((candidate) => !liesUnder(candidate, directories));
}

/**
 * Bridges a group added at run time may put its taps into: those the config file's groups use,
 * and those devices.bridges lists. Any other would connect a guest to a network the operator did
 * not give it.
 */
export function runtimeBridgeProblems(group: GroupConfig, config: Config): string[] {
  const allowed = new Set([
    ...config.devices.bridges,
    ...config.groups.flatMap((g) => [g.primary.bridge, g.standby.bridge].filter((b): b is string => !!b)),
  ]);
  return [group.primary.bridge, group.standby.bridge]
    .filter((bridge): bridge is string => !!bridge && !allowed.has(bridge))
    .map((bridge) => `bridge ${bridge} is not one the config file's groups use or devices.bridges lists`);
}

function matches(name: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => (pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern));
}

/**
 * Why a control client may not give `devargs` as an uplink at run time: a PCI device must be an
 * SR-IOV VF (a host NIC's PF would be taken from the host) unless devices.pciAddresses lists it;
 * a driver that attaches to an existing host interface (af_packet, af_xdp, pcap) only to one
 * devices.interfaces lists. Taps and tuns make interfaces of their own.
 */
export function runtimeDeviceProblems(devargs: string, devices: Config['devices'], sysfsRoot = '/sys'): string[] {
  const { driver } = parseDevargs(devargs);
  if (driver === 'pci') {
    const address = deviceName(devargs);
    const isVf = fs.existsSync(path.join(sysfsRoot, 'bus', 'pci', 'devices', address, 'physfn'));
    const listed = devices.pciAddresses.some((prefix) => address.startsWith(deviceName(prefix)));
    return isVf || listed
      ? []
      : [
          `${address} is not an SR-IOV VF; a PCI device that is not a VF is taken at run time only if devices.pciAddresses lists it`,
        ];
  }
  if (isTapDriver(driver)) return [];
  // Every host interface the driver attaches to (captures, steers traffic of).
  return kernelInterfaces(devargs).flatMap((iface) =>
    matches(iface, devices.interfaces)
      ? []
      : [
          `${driver} would attach to host interface ${iface}; at run time only interfaces devices.interfaces lists (${devices.interfaces.join(', ') || 'none'})`,
        ],
  );
}
