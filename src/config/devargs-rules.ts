// Which DPDK devices may be uplinks, and with which options. Devargs reach EAL as the daemon's
// root, so they are checked against an allow-list: a PCI address (with options its driver family
// allows), or a virtual device of a driver the project runs, each option known and its value of
// the expected form. Options that
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
  options: { iface: 'ifname', mac: 'mac' },
  required: ['iface'],
  refused: {
    remote: "mirrors a host interface's traffic into the tap",
    persist: 'leaves the tap behind the daemon, whose next start would have to adopt it',
  },
};

// tap:NAME, the daemon's own tap (no ethdev): its name is parsed as iface=NAME, and checked by
// tapNameProblems first, with errors of its own.
const OWN_TAP: DriverRule = { options: { iface: 'ifname' }, required: ['iface'] };

const DRIVER_RULES: Record<Exclude<UplinkDriver, 'pci'>, DriverRule> = {
  tap: OWN_TAP,
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

/**
 * PCI drivers' own options, per driver family (EAL picks the driver by the device's vendor and
 * device id; the family is known from its vendor id in sysfs): only options that tune the device
 * itself.
 */
export const PCI_DRIVER_OPTIONS: Record<string, { drivers: string; options: Record<string, ValueKind> }> = {
  '0x8086': {
    drivers: 'Intel (iavf, ixgbevf, igbvf)',
    options: { watchdog_period: 'uint', quanta_size: 'uint', pflink_fullchk: 'bool01' },
  },
  '0x15b3': {
    drivers: 'NVIDIA Mellanox (mlx5)',
    options: {
      rxq_cqe_comp_en: 'uint',
      mprq_en: 'bool01',
      rx_vec_en: 'bool01',
      txq_inline_max: 'uint',
      txq_inline_min: 'uint',
      txq_inline_mpw: 'uint',
      txq_mpw_en: 'bool01',
      dv_flow_en: 'uint',
      allow_duplicate_pattern: 'bool01',
    },
  },
  '0x1af4': { drivers: 'virtio (net_virtio)', options: { speed: 'uint', vectorized: 'bool01' } },
};

// Options that change what a device is or reach beyond it.
const REFUSED_PCI_OPTIONS: Record<string, string> = {
  cap: "makes an iavf VF its PF's switch control (cap=dcf), which programs every VF of the port",
  representor: "probes the switch's representor ports beside the device, other VFs' traffic included",
  class: 'probes the device as another class (vdpa, crypto, regex) than a network port',
  dv_esw_en: "turns on the NIC's e-switch control, which reaches every port of the switch",
};

/**
 * Why `devargs` (a PCI device whose sysfs vendor id is `vendor`) gives options its driver family
 * does not take; the device's identity is known only on the host, so this runs before the probe.
 */
export function pciOptionProblems(devargs: string, vendor: string): string[] {
  const family = PCI_DRIVER_OPTIONS[vendor];
  return parseDevargs(devargs).options.flatMap(({ key }) => {
    if (!family)
      return [`option ${key}: a PCI device of vendor ${vendor} (no driver family known here) takes no options here`];
    if (key in family.options) return [];
    return [`option ${key} is not one of ${family.drivers}'s; use ${Object.keys(family.options).join(', ') || 'none'}`];
  });
}

/** Every PCI option some family allows, and its value's kind. */
const ANY_PCI_DRIVER_OPTION: Record<string, ValueKind> = Object.assign(
  {},
  ...Object.values(PCI_DRIVER_OPTIONS).map((family) => family.options),
);
// A vdev's name is its driver's name and an index: EAL picks the driver by name prefix, so
// nothing else may follow (no "net_tap_x", no alias such as "eth_pcap0").
const VDEV_NAME = /^(net_[a-z_]+?)(\d{1,4})$/;

export interface ParsedDevargs {
  /** The device name: the part before the first ','. */
  name: string;
  driver: UplinkDriver | undefined;
  options: Array<{ key: string; value: string }>;
}

/** The prefix of a tap the daemon makes and reads itself, with no DPDK device: "tap:vm1-sb". */
export const OWN_TAP_PREFIX = 'tap:';

export function parseDevargs(devargs: string): ParsedDevargs {
  // Everything after the prefix is the interface's name, separators included (and refused).
  if (devargs.startsWith(OWN_TAP_PREFIX))
    return { name: devargs, driver: 'tap', options: [{ key: 'iface', value: devargs.slice(OWN_TAP_PREFIX.length) }] };
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

// Linux's IFNAMSIZ is 16 bytes with the terminating NUL.
const IFNAME_MAX_BYTES = 15;

/** What is wrong with `name` as the interface of a tap:NAME uplink (hostile input: length, characters). */
export function tapNameProblems(name: string): string[] {
  if (name.length === 0) return ['tap: needs an interface name after it, like "tap:vm1-sb"'];
  const bytes = Buffer.byteLength(name);
  if (bytes > IFNAME_MAX_BYTES)
    return [`tap interface name is ${bytes} bytes; Linux allows at most ${IFNAME_MAX_BYTES} (IFNAMSIZ)`];
  if (!/^[A-Za-z0-9_.-]+$/.test(name))
    return [
      `tap interface name ${JSON.stringify(name)} may hold only letters, digits, '_', '.' and '-' (no '/', ':', ',', spaces, NUL or other control characters)`,
    ];
  if (name === '.' || name === '..') return [`${JSON.stringify(name)} is not an interface name Linux accepts`];
  return [];
}

/** What is wrong with `devargs` as an uplink, one sentence each; empty when it may be used. */
export function devargsProblems(devargs: string, rules: DeviceRules): string[] {
  const { name, driver, options } = parseDevargs(devargs);
  const allowed = rules.drivers.join(', ');
  if (driver === 'tap') {
    if (!rules.drivers.includes(driver)) return [`driver tap is not allowed here; devices.drivers allows ${allowed}`];
    return tapNameProblems(options[0].value);
  }
  if (!driver) {
    if (name.startsWith('net_vhost'))
      return ["a vhost-user port cannot be an uplink: the guest's port is the daemon's own"];
    return [
      `${JSON.stringify(name)} is not a device this daemon runs as an uplink; use a PCI address, tap:NAME, or one of ${allowed} followed by a number, like "net_tap0"`,
    ];
  }
  if (!rules.drivers.includes(driver))
    return [`driver ${driver} is not allowed here; devices.drivers allows ${allowed}`];
  if (driver === 'pci')
    return options.flatMap(({ key, value }) => {
      const refused = REFUSED_PCI_OPTIONS[key];
      if (refused) return [`PCI option ${key} is refused: it ${refused}`];
      const kind = ANY_PCI_DRIVER_OPTION[key];
      if (!kind)
        return [`${key} is not a PCI driver option allowed here; use ${Object.keys(ANY_PCI_DRIVER_OPTION).join(', ')}`];
      return valueProblem('pci', key, value, kind, rules) ?? [];
    });
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

// Options naming a kernel interface a device makes (a tap's) or attaches to (af_packet, pcap).
const INTERFACE_OPTIONS = ['iface', 'rx_iface', 'rx_iface_in', 'tx_iface'];

/**
 * Every kernel interface a device drives, each once (pcap may read one and write another): two
 * uplinks sharing any of them are one device, however their devargs differ.
 */
export function kernelInterfaces(devargs: string): string[] {
  const { driver, options } = parseDevargs(devargs);
  if (!driver || driver === 'pci') return [];
  return [...new Set(options.filter((option) => INTERFACE_OPTIONS.includes(option.key)).map((option) => option.value))];
}

/** Whether the driver makes a kernel interface of its own (a tap, the daemon's or net_tap's, or a tun). */
export function isTapDriver(driver: UplinkDriver | undefined): boolean {
  return driver === 'tap' || driver === 'net_tap' || driver === 'net_tun';
}

/** The first of them: a tap's (own or net_tap's) or tun's own interface, the one a bridge takes. */
export function kernelInterface(devargs: string): string | undefined {
  return kernelInterfaces(devargs)[0];
}

/** Paths in devargs that name sockets (net_memif's socket=), for the run-time directory check. */
export function devargsSocketPaths(devargs: string): string[] {
  const { driver, options } = parseDevargs(devargs);
  if (!driver || driver === 'pci') return [];
  const rule = DRIVER_RULES[driver];
  return options.filter((option) => rule.options[option.key] === 'socket').map((option) => option.value);
}
