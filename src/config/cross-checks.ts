// Rules that span several fields, or that JSON Schema cannot state. They also run on data that
// failed schema validation, so that one pass reports every problem; fields of the wrong type are
// simply skipped (the schema already reports them).

import { posix } from 'path';
import { Problem, showValue } from './config-error';
import {
  devargsProblems,
  isTapDriver,
  kernelInterface,
  kernelInterfaces,
  parseDevargs,
  type DeviceRules,
} from './devargs-rules';
import { deviceName } from './device-name';
import { extraEalArgsProblems } from './eal-rules';
import { MAC_PATTERN, UPLINK_DRIVERS } from './schema';
import { unicastMacProblem } from './unicast-mac';

type Fields = Record<string, unknown>;

function fieldsOf(value: unknown): Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : {};
}

/** A string value that must not collide with another; `key` is what counts as the same. */
interface Claim {
  path: string;
  /** The group (or section) holding the value, as named in messages. */
  owner: string;
  value: string;
  key: string;
}

function claim(path: string, owner: string, value: unknown, keyOf: (value: string) => string) {
  return typeof value === 'string' ? [{ path, owner, value, key: keyOf(value) }] : [];
}

/** One problem for every claim whose key an earlier claim already took. */
function collisions(claims: Claim[], explain: (claim: Claim, earlier: Claim) => string) {
  const firstByKey = new Map<string, Claim>();
  const problems: Problem[] = [];
  for (const current of claims) {
    const earlier = firstByKey.get(current.key);
    if (earlier) problems.push({ path: current.path, text: explain(current, earlier) });
    else firstByKey.set(current.key, current);
  }
  return problems;
}

function duplicateNames(groups: Fields[]): Problem[] {
  const claims = groups.flatMap((group, i) => claim(`groups[${i}].name`, `groups[${i}]`, group.name, (name) => name));
  return collisions(
    claims,
    (current, earlier) => `${showValue(current.value)} is already used by ${earlier.owner}; group names must be unique`,
  );
}

function duplicateSockets(root: Fields, groups: Fields[]): Problem[] {
  // "/run/x//vm1.sock" and "/run/x/vm1.sock" are the same socket.
  const claims = [
    ...claim('control.socket', 'control', fieldsOf(root.control).socket, posix.normalize),
    ...groups.flatMap((group, i) =>
      claim(`groups[${i}].vhost.socket`, `groups[${i}]`, fieldsOf(group.vhost).socket, posix.normalize),
    ),
    // QEMU serves one client per QMP socket: a VM with two groups' NICs needs two -qmp sockets.
    ...groups.flatMap((group, i) =>
      claim(`groups[${i}].qmp.socket`, `groups[${i}]`, fieldsOf(group.qmp).socket, posix.normalize),
    ),
  ];
  return collisions(
    claims,
    (current, earlier) =>
      `${showValue(current.value)} is already used by ${earlier.path}; give every socket its own path`,
  );
}

function duplicateDevices(groups: Fields[]): Problem[] {
  const uplinks = groups.flatMap((group, i) =>
    (['primary', 'standby'] as const).map((role) => ({
      path: `groups[${i}].${role}.devargs`,
      owner: `groups[${i}]`,
      devargs: fieldsOf(group[role]).devargs,
    })),
  );
  // One device under two spellings: the same device name, or the same kernel interface.
  const claims = [
    ...uplinks.flatMap(({ path, owner, devargs }) => claim(path, owner, devargs, deviceName)),
    ...uplinks.flatMap(({ path, owner, devargs }) =>
      typeof devargs === 'string'
        ? kernelInterfaces(devargs).flatMap((iface) => claim(path, owner, devargs, () => `interface ${iface}`))
        : [],
    ),
  ];
  const problems = collisions(claims, (current, earlier) => {
    const iface = current.key.startsWith('interface ') ? current.key.slice('interface '.length) : undefined;
    const device =
      current.value === current.key
        ? ''
        : iface !== undefined
          ? ` (interface ${showValue(iface)})`
          : ` (device ${showValue(current.key)})`;
    const rule =
      current.owner === earlier.owner
        ? 'primary and standby must be different devices'
        : 'a device can be an uplink of only one group';
    return `${showValue(current.value)}${device} is already used by ${earlier.path}; ${rule}`;
  });
  // An uplink that collides by name and by interface is reported once.
  return problems.filter((problem, i) => problems.findIndex((other) => other.path === problem.path) === i);
}

function duplicateMacs(groups: Fields[]): Problem[] {
  const claims = groups.flatMap((group, i) =>
    claim(`groups[${i}].mac`, `groups[${i}]`, group.mac, (mac) => mac.toLowerCase()),
  );
  return collisions(
    claims,
    (current, earlier) =>
      `${showValue(current.value)} is already the MAC of ${earlier.owner}; two guests with one MAC would take each other's traffic`,
  );
}

const DEFAULT_DEVICE_RULES: DeviceRules = { drivers: UPLINK_DRIVERS, fileOptions: false, fileDirectories: [] };

function deviceRules(root: Fields): DeviceRules {
  const devices = fieldsOf(root.devices);
  const list = (value: unknown) =>
    Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;
  return {
    drivers: (list(devices.drivers) as DeviceRules['drivers']) ?? DEFAULT_DEVICE_RULES.drivers,
    fileOptions: devices.fileOptions === true,
    fileDirectories: list(devices.fileDirectories) ?? [],
  };
}

function uplinkProblems(root: Fields, groups: Fields[]): Problem[] {
  const rules = deviceRules(root);
  return groups.flatMap((group, i) =>
    (['primary', 'standby'] as const).flatMap((role) => {
      const { devargs, bridge } = fieldsOf(group[role]);
      if (typeof devargs !== 'string') return [];
      const problems = devargsProblems(devargs, rules).map((text) => ({ path: `groups[${i}].${role}.devargs`, text }));
      const driver = parseDevargs(devargs).driver;
      if (typeof bridge === 'string' && !(isTapDriver(driver) && kernelInterface(devargs)))
        problems.push({
          path: `groups[${i}].${role}.bridge`,
          text: `only a tap:NAME uplink, or a net_tap or net_tun one with iface=NAME, can join a bridge; ${showValue(devargs)} is not one`,
        });
      return problems;
    }),
  );
}

// Drivers disagree on ring sizes: some need a multiple of 8 or 32, some round up to a power of
// two. A power of two satisfies all of them, so every driver gets the size that was asked for.
function descriptorCountProblems(dataplane: Fields): Problem[] {
  return (['rxDescriptors', 'txDescriptors'] as const).flatMap((key) => {
    const count = dataplane[key];
    if (typeof count !== 'number' || !Number.isInteger(count) || count <= 0) return [];
    if ((count & (count - 1)) === 0) return [];
    const below = 2 ** Math.floor(Math.log2(count));
    const text = `${count} is not a power of two; use ${below} or ${below * 2}`;
    return [{ path: `dataplane.${key}`, text }];
  });
}

function ealArgsProblems(dataplane: Fields): Problem[] {
  const args = dataplane.extraEalArgs;
  if (!Array.isArray(args) || !args.every((arg) => typeof arg === 'string')) return [];
  return extraEalArgsProblems(args).map(([i, text]) => ({ path: `dataplane.extraEalArgs[${i}]`, text }));
}

/** DPDK 22.11's net_tap overflows its stack at start with more (tap_mp_req_on_rxtx: 8 fds). */
export const TAP_MAX_QUEUES = 4;

// A group's queues are on both uplinks: a net_tap one cannot take more than four.
function tapQueueProblems(groups: Fields[]): Problem[] {
  return groups.flatMap((group, i) => {
    const queues = group.queues;
    if (typeof queues !== 'number' || queues <= TAP_MAX_QUEUES) return [];
    return (['primary', 'standby'] as const).flatMap((path) => {
      const devargs = fieldsOf(group[path]).devargs;
      if (typeof devargs !== 'string' || parseDevargs(devargs).driver !== 'net_tap') return [];
      return [
        {
          path: `groups[${i}].queues`,
          text: `${queues} queue pairs, but the ${path} is a net_tap, which takes at most ${TAP_MAX_QUEUES} in this DPDK (22.11's net_tap overflows its stack at start with more); use queues: ${TAP_MAX_QUEUES} or fewer`,
        },
      ];
    });
  });
}

const MAC = new RegExp(MAC_PATTERN);

// The VM sends from this address (the schema already reports a malformed one).
function macProblems(groups: Fields[]): Problem[] {
  return groups.flatMap((group, i) => {
    const mac = group.mac;
    const problem = typeof mac === 'string' && MAC.test(mac) ? unicastMacProblem(mac) : undefined;
    return problem
      ? [{ path: `groups[${i}].mac`, text: `${showValue(mac)} ${problem}; use a unicast MAC like "52:54:00:12:34:56"` }]
      : [];
  });
}

/**
 * DPDK ports per process in the distribution's DPDK (RTE_MAX_ETHPORTS in Debian 12's 22.11 and
 * Debian 13's 24.11): what limits the groups of one daemon.
 */
export const ETHDEV_PORTS_MAX = 32;
/**
 * DPDK ports a group takes: each uplink that is a DPDK device ("tap:NAME", a tap the daemon reads
 * itself, is none). Its guest is lib/vhost's (native/dpdk/control/vhost_user.cc), not a port.
 */
export function groupEthdevPorts(group: Fields): number {
  const uplinks = [group.primary, group.standby].map((uplink) => fieldsOf(uplink).devargs);
  return uplinks.filter((devargs) => typeof devargs !== 'string' || !devargs.startsWith('tap:')).length;
}

function ethdevPortProblems(groups: Fields[]): Problem[] {
  const ports = groups.reduce((sum, group) => sum + groupEthdevPorts(group), 0);
  if (ports <= ETHDEV_PORTS_MAX) return [];
  return [
    {
      path: 'groups',
      text:
        `${groups.length} groups take ${ports} DPDK ports (every uplink that is a DPDK device), more than the ` +
        `${ETHDEV_PORTS_MAX} this DPDK holds (RTE_MAX_ETHPORTS); ` +
        'move groups to a second daemon (its own filePrefix, sockets and worker CPUs)',
    },
  ];
}

export function crossFieldProblems(config: unknown): Problem[] {
  const root = fieldsOf(config);
  const groups = Array.isArray(root.groups) ? root.groups.map(fieldsOf) : [];
  return [
    ...descriptorCountProblems(fieldsOf(root.dataplane)),
    ...ealArgsProblems(fieldsOf(root.dataplane)),
    ...macProblems(groups),
    ...duplicateMacs(groups),
    ...duplicateNames(groups),
    ...duplicateSockets(root, groups),
    ...uplinkProblems(root, groups),
    ...duplicateDevices(groups),
    ...tapQueueProblems(groups),
    ...ethdevPortProblems(groups),
  ];
}
