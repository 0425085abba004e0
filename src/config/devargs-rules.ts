// Which DPDK devices may be uplinks, and with which options. Devargs reach EAL as the daemon's
// root, so they are checked against an allow-list: a PCI address, or a virtual device of a
// driver the project runs, each option known and its value of the expected form. Options that
// open files, or that reach beyond the device (a tap mirroring a host interface), are refused
// unless the operator's config allows them.
import { posix } from 'path';
import type { UPLINK_DRIVERS } from './schema';

export type UplinkDriver = (typeof UPLINK_DRIVERS)[number];

/** What the checks need of the config's `devices` section. */
export interface DeviceRules {
  drivers: readonly UplinkDriver[];
  fileOptions: boolean;
  fileDirectories: readonly string[];
}

/** How an option's value is checked. */
type ValueKind = 'flag' | 'uint' | 'bool01' | 'yesno' | 'ifname' | 'mac' | 'secret' | 'role' | 'file' | 'socket';

const VALUE_FORMS: Record<Exclude<ValueKind, 'file' | 'socket'>, { pattern: RegExp; expected: string }> = {
  flag: { pattern: /^$/, expected: 'no value' },
  uint: { pattern: /^\d{1,9}$/, expected: 'a number' },
  bool01: { pattern: /^[01]$/, expected: '0 or 1' },
  yesno: { pattern: /^(yes|no)$/, expected: 'yes or no' },
  // Linux interface names: at most 15 characters, no '/' or ':'.
  ifname: { pattern: /^[A-Za-z0-9_.-]{1,15}$/, expected: 'an interface name of at most 15 letters, digits, _ . -' },
  mac: { pattern: /^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$|^fixed$/, expected: 'a MAC address' },
  secret: { pattern: /^[A-Za-z0-9_-]{1,24}$/, expected: 'up to 24 letters, digits, _ or -' },
  role: { pattern: /^(server|client)$/, expected: 'server or client' },
};

interface DriverRule {
  options: Record<string, ValueKind>;
  /** Options that must be given. */
  required?: string[];
  /** Options refused with a reason, though the driver knows them. */
  refused?: Record<string, string>;
}

// iface= is required: the kernel interface is the device's identity (one uplink per interface)
// and what a bridge takes; the driver's own default name (dtapN) is not known beforehand.
const TAP: DriverRule = {
  options: { iface: 'ifname', mac: 'mac', persist: 'flag' },
  required: ['iface'],
  refused: { remote: "mirrors a host interface's traffic into the tap" },
};

const DRIVER_RULES: Record<Exclude<UplinkDriver, 'pci'>, DriverRule> = {
  net_tap: TAP,
  net_tun: TAP,
  net_af_packet: {
    options: {
      iface: 'ifname',
      qpairs: 'uint',
      blocksz: 'uint',
      framesz: 'uint',
      framecnt: 'uint',
      qdisc_bypass: 'bool01',
    },
    required: ['iface'],
  },
  net_af_xdp: {
    options: {
      iface: 'ifname',
      start_queue: 'uint',
      queue_count: 'uint',
      shared_umem: 'bool01',
      busy_budget: 'uint',
      force_copy: 'bool01',
      xdp_prog: 'file',
    },
    required: ['iface'],
  },
  net_null: { options: { size: 'uint', copy: 'bool01', 'no-rx': 'bool01' } },
  net_memif: {
    options: {
      id: 'uint',
      role: 'role',
      bsize: 'uint',
      rsize: 'uint',
      socket: 'socket',
      'socket-abstract': 'yesno',
      mac: 'mac',
      secret: 'secret',
      'zero-copy': 'yesno',
    },
    // A socket on the file system (checked against the run-time directories), not an abstract
    // name any local user could reach.
    required: ['socket', 'socket-abstract'],
  },
  net_ring: { options: {} },
  net_pcap: {
    options: {
      rx_pcap: 'file',
      tx_pcap: 'file',
      rx_iface: 'ifname',
      rx_iface_in: 'ifname',
      tx_iface: 'ifname',
      iface: 'ifname',
      phy_mac: 'bool01',
      infinite_rx: 'bool01',
    },
  },
};

const PCI_ADDRESS = /^(?:[0-9a-f]{1,4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i;
// PCI drivers' own options (e.g. mlx5's txq_inline): any key, but a value that names no path.
const PCI_OPTION_KEY = /^[a-z][a-z0-9_]{0,31}$/;
const PCI_OPTION_VALUE = /^[A-Za-z0-9_.:[\]-]{0,64}$/;
// A vdev's name is its driver's name and an index: EAL picks the driver by name prefix, so
// nothing else may follow (no "net_tap_x", no alias such as "eth_pcap0").
const VDEV_NAME = /^(net_[a-z_]+?)(\d{1,4})$/;

export interface ParsedDevargs {
  /** The device name: the part before the first ','. */
  name: string;
  driver: UplinkDriver | undefined;
  options: Array<{ key: string; value: string }>;
}

export function parseDevargs(devargs: string): ParsedDevargs {
  const [name, ...parts] = devargs.split(',');
  const options = parts.map((part) => {
    const equals = part.indexOf('=');
    return equals < 0 ? { key: part, value: '' } : { key: part.slice(0, equals), value: part.slice(equals + 1) };
  });
  if (PCI_ADDRESS.test(name)) return { name, driver: 'pci', options };
  const vdev = VDEV_NAME.exec(name)?.[1];
  const driver = vdev && vdev in DRIVER_RULES ? (vdev as UplinkDriver) : undefined;
  return { name, driver, options };
}

/** The value of an option, if given. */
export function devargsOption(devargs: string, key: string): string | undefined {
  return parseDevargs(devargs).options.find((option) => option.key === key)?.value;
}

/** True when `path` lies in one of `directories` (after normalising both: no way out with ".."). */
export function liesUnder(path: string, directories: readonly string[]): boolean {
  const normal = posix.normalize(path);
  return directories.some((dir) => normal.startsWith(posix.normalize(dir).replace(/\/?$/, '/')));
}

function valueProblem(driver: string, key: string, value: string, kind: ValueKind, rules: DeviceRules) {
  if (kind === 'file') {
    if (!rules.fileOptions)
      return `option ${key} of ${driver} opens a file; set devices.fileOptions: true and list its directory in devices.fileDirectories`;
    if (!value.startsWith('/') || !liesUnder(value, rules.fileDirectories))
      return `option ${key}=${value} names a file outside devices.fileDirectories (${rules.fileDirectories.join(', ') || 'none'})`;
    return undefined;
  }
  if (kind === 'socket')
    return /^\/[^,=;:\s]*$/.test(value) ? undefined : `option ${key} must be an absolute path without separators`;
  const form = VALUE_FORMS[kind];
  if (form.pattern.test(value)) return undefined;
  return kind === 'flag'
    ? `option ${key} of ${driver} takes no value`
    : `option ${key}=${value} of ${driver} is not ${form.expected}`;
}

/** What is wrong with `devargs` as an uplink, one sentence each; empty when it may be used. */
export function devargsProblems(devargs: string, rules: DeviceRules): string[] {
  const { name, driver, options } = parseDevargs(devargs);
  const allowed = rules.drivers.join(', ');
  if (!driver) {
    if (name.startsWith('net_vhost'))
      return ["a vhost-user port cannot be an uplink: the guest's port is the daemon's own"];
    return [
      `${JSON.stringify(name)} is not a device this daemon runs as an uplink; use a PCI address or one of ${allowed} followed by a number, like "net_tap0"`,
    ];
  }
  if (!rules.drivers.includes(driver))
    return [`driver ${driver} is not allowed here; devices.drivers allows ${allowed}`];
  if (driver === 'pci')
    return options.flatMap(({ key, value }) =>
      PCI_OPTION_KEY.test(key) && PCI_OPTION_VALUE.test(value)
        ? []
        : [`PCI option ${key}=${value} is not a plain key=value (letters, digits and _ . : - only; no paths)`],
    );
  const rule = DRIVER_RULES[driver];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const { key, value } of options) {
    if (seen.has(key)) problems.push(`option ${key} is given twice`);
    seen.add(key);
    const refused = rule.refused?.[key];
    const kind = rule.options[key];
    if (refused) problems.push(`option ${key} of ${driver} is refused: it ${refused}`);
    else if (!kind) {
      const known = Object.keys(rule.options);
      problems.push(
        `${driver} has no option ${key} allowed here; ${known.length ? `use ${known.join(', ')}` : 'it takes none'}`,
      );
    } else {
      const problem = valueProblem(driver, key, value, kind, rules);
      if (problem) problems.push(problem);
    }
  }
  for (const key of rule.required ?? []) if (!seen.has(key)) problems.push(`${driver} needs option ${key}`);
  if (driver === 'net_memif' && options.some((o) => o.key === 'socket-abstract' && o.value !== 'no'))
    problems.push('net_memif needs socket-abstract=no: its socket must be a file');
  return problems;
}

/**
 * The kernel interface a device drives (a tap's or tun's own, the one af_packet, af_xdp or pcap
 * attaches to): two uplinks on one interface are one device, however their devargs differ.
 */
export function kernelInterface(devargs: string): string | undefined {
  const { driver, options } = parseDevargs(devargs);
  if (!driver || driver === 'pci') return undefined;
  return options.find((option) => ['iface', 'rx_iface', 'rx_iface_in', 'tx_iface'].includes(option.key))?.value;
}

/** Paths in devargs that name sockets (net_memif's socket=), for the run-time directory check. */
export function devargsSocketPaths(devargs: string): string[] {
  const { driver, options } = parseDevargs(devargs);
  if (!driver || driver === 'pci') return [];
  const rule = DRIVER_RULES[driver];
  return options.filter((option) => rule.options[option.key] === 'socket').map((option) => option.value);
}
