// The configuration file format as a JSON Schema (draft-07), validated by ajv with
// `useDefaults: true`, so the defaults written here are the program's defaults.
// config/schema.json is a copy of `configSchema` for editors; a unit test keeps the two equal.
import { CONTROL_CHARACTER_PATTERN, CONTROL_CHARACTER_RULE } from './control-characters';
import { ALLOWED_EAL_OPTIONS } from './eal-rules';

export const FILE_PREFIX_PATTERN = '^[A-Za-z0-9_-]{1,40}$';
// A group name is a CLI argument, a metrics label and part of a capture's file name: no '/', no
// leading '-' or '.', printable ASCII only; '-' and '.' inside are allowed (libvirt domain names).
// (Written apart from ACCOUNT_NAME_PATTERN, which matches the same names: hints are keyed by pattern.)
export const GROUP_NAME_PATTERN = '^[A-Za-z0-9_][-A-Za-z0-9_.]{0,31}$';
export const MAC_PATTERN = '^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$';
export const ABSOLUTE_PATH_PATTERN = '^/';
export const DEVARGS_PATTERN = '^\\S+$';
export const FILE_MODE_PATTERN = '^0?[0-7]{3}$';
// A socket QEMU opens too: QEMU reads its path from its own options (-chardev socket,path=PATH;
// -qmp unix:PATH,server=on), where ',' ends the path (unless doubled) and an '=' in unix:PATH
// makes its start an option's name. The daemon itself hands a path only to bind, connect and
// lib/vhost, which take any bytes but NUL (refused in every string).
export const QEMU_SOCKET_PATH_PATTERN = '^/[^,=]*$';
export const ACCOUNT_NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$';
// A Linux interface name: at most 15 characters, no '/', ':' or spaces.
export const INTERFACE_NAME_PATTERN = '^[A-Za-z0-9_.-]{1,15}$';
export const INTERFACE_PATTERN_PATTERN = '^[A-Za-z0-9_.-]{1,15}\\*?$';
export const PCI_PREFIX_PATTERN = '^[0-9A-Fa-f:.]{2,12}$';

/**
 * The uplink drivers the daemon can run (devargs-rules.ts knows each one's options). vhost is not
 * among them: the guest's port is made by the daemon itself. `tap` is the daemon's own tap
 * ("tap:NAME"), read and written without DPDK; the others are DPDK devices.
 */
export const UPLINK_DRIVERS = [
  'pci',
  'tap',
  'net_tap',
  'net_tun',
  'net_af_packet',
  'net_af_xdp',
  'net_null',
  'net_memif',
  'net_ring',
  'net_pcap',
] as const;

/** pino's levels, most severe first: the config's log.level and the set-log-level op. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export const DEFAULT_CONTROL_SOCKET = '/run/vhost-failover/control.sock';

export interface PatternHint {
  /** Completes "<value> is not ...". */
  expected: string;
  /** Tells the user how to write a good value. */
  fix: string;
}

// Error messages quote these instead of the regular expressions, which users should not have to read.
export const patternHints: Readonly<Record<string, PatternHint>> = {
  [FILE_PREFIX_PATTERN]: {
    expected: 'a valid file prefix',
    fix: `use 1 to 40 letters, digits, '_' or '-', like "vhost-failover"`,
  },
  [GROUP_NAME_PATTERN]: {
    expected: 'a valid group name',
    fix: `use 1 to 32 letters, digits, '_', '-' or '.', starting with a letter, digit or '_', like "vm1" or "web-01"`,
  },
  [MAC_PATTERN]: {
    expected: 'a MAC address',
    fix: `write six hex pairs separated by ':' like "52:54:00:12:34:56"`,
  },
  [ABSOLUTE_PATH_PATTERN]: {
    expected: 'an absolute path',
    fix: `start it with '/', like "/run/vhost-failover/vm1.sock"`,
  },
  [QEMU_SOCKET_PATH_PATTERN]: {
    expected: 'a usable socket path',
    fix: `write an absolute path without ',' or '=' (QEMU opens it too, and reads ',' in -chardev socket,path=PATH as the path's end and '=' in -qmp unix:PATH as an option's), like "/run/vhost-failover/vm1.sock"`,
  },
  [INTERFACE_NAME_PATTERN]: {
    expected: 'an interface name',
    fix: "write at most 15 letters, digits, '_', '.' or '-', like \"br0\"",
  },
  [INTERFACE_PATTERN_PATTERN]: {
    expected: 'an interface name or prefix',
    fix: 'write an interface name, or a prefix ending in *, like "veth-vf*"',
  },
  [PCI_PREFIX_PATTERN]: {
    expected: 'a PCI address or prefix',
    fix: 'write a PCI address like "0000:3b:00.0", or its start like "0000:3b"',
  },
  [ACCOUNT_NAME_PATTERN]: {
    expected: 'a user or group name',
    fix: 'write a name like "vhostops" or a numeric id like "1001"',
  },
  [FILE_MODE_PATTERN]: {
    expected: 'an octal file mode',
    fix: 'write three octal digits, like "0600" or "0660"',
  },
  // Every string field must not match this one (everyStringPrintable).
  [CONTROL_CHARACTER_PATTERN]: {
    expected: 'free of control characters',
    fix: `write it with ${CONTROL_CHARACTER_RULE}`,
  },
  [DEVARGS_PATTERN]: {
    expected: 'a DPDK device',
    fix: `write a PCI address like "0000:3b:02.1", a tap like "tap:sb-vm1", or a virtual device like "net_tap0,iface=sb-vm1", without spaces`,
  },
};

// A unix socket path must fit in sockaddr_un.sun_path (108 bytes including the terminating NUL).
const MAX_SOCKET_PATH_LENGTH = 107;

const socketPath = {
  type: 'string',
  pattern: ABSOLUTE_PATH_PATTERN,
  maxLength: MAX_SOCKET_PATH_LENGTH,
} as const;

const qemuSocketPath = { ...socketPath, pattern: QEMU_SOCKET_PATH_PATTERN } as const;

const nameList = {
  type: 'array',
  items: { type: 'string', pattern: ACCOUNT_NAME_PATTERN },
  uniqueItems: true,
} as const;

const uplink = {
  type: 'object',
  additionalProperties: false,
  required: ['devargs'],
  properties: {
    devargs: {
      description:
        'the uplink\'s device: "tap:NAME", a kernel tap the daemon makes (it must not exist; IFNAMSIZ: at ' +
        'most 15 letters, digits, _ . -), reads and writes itself with no DPDK port, and whose removal the ' +
        'kernel does when the daemon closes it; or DPDK devargs: a PCI address with optional ",key=value" ' +
        "options, or a vdev such as net_tap (one DPDK port each, of RTE_MAX_ETHPORTS, 32 in Debian's DPDK). " +
        'Held to the devices section and the device rules of the trust model (docs/design/trust-model.md)',
      type: 'string',
      pattern: DEVARGS_PATTERN,
      examples: ['0000:3b:02.1', 'tap:sb-vm1', 'net_tap0,iface=sb-vm1'],
    },
    guestMac: {
      description:
        "primary only: 'keep' (default) never writes the port's MAC: a PCI device such as a VF must " +
        "already carry the guest's, given by its administrator through the PF (ip link set <pf> vf " +
        "<n> mac ..., or prepare-vf), as net_failover pairs a VF with its virtio NIC by MAC; a vdev's " +
        "MAC belongs to a host interface and is left alone. 'set' gives the port the guest's MAC and " +
        'verifies that it took it (a PF refuses it where its administrator pinned another, with trust ' +
        'off; with trust on, it replaces theirs), and gives it back the MAC it had while no guest is ' +
        "connected (a migrated guest's source)",
      enum: ['keep', 'set'],
    },
    bridge: {
      description:
        "a Linux bridge the uplink's kernel interface (a tap's: tap:NAME, or net_tap's iface=) joins, up, each time the " +
        'daemon creates it: a restarted daemon then has both paths back at once',
      type: 'string',
      pattern: INTERFACE_NAME_PATTERN,
    },
  },
} as const;

// QEMU's announce parameters: the first round goes out at once (a failover, unlike a migration,
// has no guest to resume first); round k+1 follows round k after min(initialMs + k * stepMs, maxMs).
// Like Linux bonding's num_grat_arp, each round also carries GARPs for the guest's recent addresses.
const announceFields = {
  rounds: {
    description: 'announcement rounds per path change or guest arrival; 0 turns them off',
    type: 'integer',
    minimum: 0,
    maximum: 100,
  },
  initialMs: { description: 'gap after the first round', type: 'integer', minimum: 0, maximum: 100000 },
  stepMs: { description: 'how much each gap grows', type: 'integer', minimum: 0, maximum: 100000 },
  maxMs: { description: 'longest gap', type: 'integer', minimum: 0, maximum: 100000 },
  garpMaxAgeMs: {
    description:
      'also send a gratuitous ARP for each IPv4 address the guest used in its own ARP frames ' +
      'within this many ms (RARP only when 0)',
    type: 'integer',
    minimum: 0,
    maximum: 86400000,
  },
} as const;

/** A group's own announce settings: no defaults, so that the global ones show through. */
const groupAnnounce = { type: 'object', additionalProperties: false, properties: announceFields } as const;

const globalAnnounce = {
  ...groupAnnounce,
  default: {},
  properties: {
    rounds: { ...announceFields.rounds, default: 5 },
    initialMs: { ...announceFields.initialMs, default: 50 },
    stepMs: { ...announceFields.stepMs, default: 100 },
    maxMs: { ...announceFields.maxMs, default: 550 },
    garpMaxAgeMs: { ...announceFields.garpMaxAgeMs, default: 300000 },
  },
} as const;

const descriptorCount = {
  description: "ring size of every port's queues, in descriptors; a power of two",
  type: 'integer',
  minimum: 64,
  maximum: 4096,
  default: 512,
} as const;

/**
 * `schema` with the control-character rule on every string field, written once here so that no
 * field, present or future, can go without it. The type is the input's: the rule narrows no type.
 */
function everyStringPrintable<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(everyStringPrintable) as T;
  if (typeof schema !== 'object' || schema === null) return schema;
  const node = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, everyStringPrintable(value)]));
  return (node.type === 'string' ? { ...node, not: { pattern: CONTROL_CHARACTER_PATTERN } } : node) as T;
}

export const configSchema = everyStringPrintable({
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'vhost-failover configuration',
  type: 'object',
  additionalProperties: false,
  required: ['groups'],
  properties: {
    dataplane: {
      description: 'DPDK settings shared by all groups',
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        filePrefix: {
          description: 'EAL --file-prefix; lets several DPDK processes share a host',
          type: 'string',
          pattern: FILE_PREFIX_PATTERN,
          default: 'vhost-failover',
        },
        workerCpus: {
          description:
            'CPUs that run the polling workers, one worker lcore each; no other thread of the daemon runs on them',
          type: 'array',
          items: { type: 'integer', minimum: 0, maximum: 1023 },
          minItems: 1,
          maxItems: 16,
          uniqueItems: true,
          default: [1],
          examples: [[1, 2]],
        },
        mbufs: {
          description:
            "packet buffers in the smallest pool made: each port's queues take mbufs from a pool on its NUMA socket, " +
            'and a group whose rings (queues × (rx + tx descriptors + a burst) a port) do not fit the pools there ' +
            'gets another pool beside them',
          type: 'integer',
          minimum: 1024,
          maximum: 1048575,
          default: 16383,
        },
        rxDescriptors: descriptorCount,
        txDescriptors: descriptorCount,
        linkPollIntervalUs: {
          description:
            'how often the link monitor reads the links of ports whose driver tells it of no change, in ' +
            'microseconds, only while such a port exists: net_iavf raises link events, a port with a ' +
            'kernel interface behind it (net_tap, mlx5) has the kernel link notifications, net_null and net_ring ' +
            'never change; any other driver (net_ixgbe_vf, igbvf, drivers not listed) is polled',
          type: 'integer',
          minimum: 10,
          maximum: 1000000,
          default: 1000,
        },
        idleSleepMaxUs: {
          description: 'longest sleep of an idle worker, in microseconds; 0 means pure busy polling',
          type: 'integer',
          minimum: 0,
          maximum: 100000,
          default: 200,
        },
        rxInterrupts: {
          description:
            'an idle worker sleeps until a frame can be there (a guest kick, a frame on a tap) instead of ' +
            'waking every idleSleepMaxUs; only where every port of the worker can interrupt (vhost, tap), ' +
            'and not while a live migration copies the guest. On by default: an idle group then costs no ' +
            'measurable CPU; off, an idle worker wakes every idleSleepMaxUs (about 3,700 times a second here)',
          type: 'boolean',
          default: true,
        },
        extraEalArgs: {
          description:
            'more EAL arguments, appended last: only options that tune memory, logging or VFIO ' +
            `(${Object.keys(ALLOWED_EAL_OPTIONS).join(', ')}), each value of its form`,
          type: 'array',
          items: { type: 'string' },
          default: [],
          examples: [['--no-telemetry']],
        },
      },
    },
    control: {
      description: 'the control API of the daemon',
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        socket: {
          description: 'unix socket of the control API; its directory is created',
          ...socketPath,
          default: DEFAULT_CONTROL_SOCKET,
        },
        mode: {
          description: 'permissions of the control socket, octal; 0600 lets only its owner in',
          type: 'string',
          pattern: FILE_MODE_PATTERN,
          default: '0600',
        },
        group: {
          description: 'unix group that owns the control socket (with mode 0660, its members may connect)',
          type: 'string',
          minLength: 1,
        },
        idleTimeoutSeconds: {
          description:
            'a control connection that sends nothing for this long is closed (the CLI opens one per request, so ' +
            'only a stuck or hostile client meets it)',
          type: 'integer',
          minimum: 1,
          maximum: 3600,
          default: 60,
        },
        faultInjection: {
          description:
            'allow the inject-removal, inject-tx-stall, inject-reset and inject-stall ops, which make the primary act ' +
            "surprise-removed, refuse every frame, see its PF's reset, or hang in a driver call; for labs without " +
            'such devices, off outside a lab',
          type: 'boolean',
          default: false,
        },
        operators: {
          description:
            'who may use the ops that change anything (every op but groups, status, stats, worker-stats, ' +
            "port-xstats, capture-status, identity and health), besides root and the daemon's own user; everyone who can connect " +
            'may read',
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            users: { description: 'user names or numeric uids', ...nameList, default: [] },
            groups: { description: 'unix group names or numeric gids', ...nameList, default: [] },
          },
        },
        runtimeDirectories: {
          description:
            'directories where sockets named at run time (add-group, attach) may lie; default: the directories ' +
            "of this file's own sockets",
          type: 'array',
          items: { type: 'string', pattern: ABSOLUTE_PATH_PATTERN },
          examples: [['/run/vhost-failover']],
        },
      },
    },
    devices: {
      description: 'which DPDK devices may be uplinks, in this file and at run time (attach, add-group)',
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        drivers: {
          description: 'the uplink drivers allowed; pci is any PCI address (a VF or a NIC)',
          type: 'array',
          items: { type: 'string', enum: UPLINK_DRIVERS },
          uniqueItems: true,
          default: [...UPLINK_DRIVERS],
        },
        fileOptions: {
          description:
            'allow devargs options that open files (net_pcap rx_pcap/tx_pcap, net_af_xdp xdp_prog), in fileDirectories only',
          type: 'boolean',
          default: false,
        },
        fileDirectories: {
          description: 'the only directories files named in devargs may lie in',
          type: 'array',
          items: { type: 'string', pattern: ABSOLUTE_PATH_PATTERN },
          default: [],
        },
        pciAddresses: {
          description:
            'PCI devices that are not SR-IOV VFs a control client may still attach at run time (addresses or ' +
            'prefixes, like "0000:3b:00"); a VF needs no listing',
          type: 'array',
          items: { type: 'string', pattern: PCI_PREFIX_PATTERN },
          default: [],
        },
        bridges: {
          description:
            'Linux bridges a group added at run time may put its taps into, besides those the groups of this file use',
          type: 'array',
          items: { type: 'string', pattern: INTERFACE_NAME_PATTERN },
          default: [],
        },
        interfaces: {
          description:
            'host interfaces a control client may have af_packet, af_xdp or pcap attach to at run time (names, or ' +
            'prefixes ending in *)',
          type: 'array',
          items: { type: 'string', pattern: INTERFACE_PATTERN_PATTERN },
          default: [],
        },
      },
    },
    startup: {
      description: 'what the daemon does when a device is missing at start (or after a reload)',
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        requireAllGroups: {
          description:
            "exit when a group's vhost port or standby cannot be opened, instead of starting the other groups " +
            'and retrying that one',
          type: 'boolean',
          default: false,
        },
        retryMaxMs: {
          description:
            'a primary that cannot be probed, or a group that cannot start, is tried again after 1 s, the wait ' +
            'doubling up to this',
          type: 'integer',
          minimum: 1000,
          maximum: 3600000,
          default: 60000,
        },
      },
    },
    metrics: {
      description: 'Prometheus metrics over HTTP; off unless a port is given',
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        address: { description: 'address to listen on', type: 'string', default: '127.0.0.1' },
        port: {
          description: 'TCP port, e.g. 9464; the metrics are at http://address:port/metrics',
          type: 'integer',
          minimum: 1,
          maximum: 65535,
        },
      },
    },
    announce: {
      description:
        "announcement rounds after each path change and when the guest's device comes up (never while no " +
        "guest is connected): a RARP for the guest's MAC and a GARP for each IPv4 address the guest recently " +
        'claimed in its ARP. Round k+1 follows round k after min(initialMs + k * stepMs, maxMs), as QEMU does ' +
        "after a migration, but the first round goes out at once. A group's own announce overrides any of " +
        'these fields',
      ...globalAnnounce,
    },
    failover: {
      description: 'when the primary is used again after it failed',
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        mode: {
          description:
            'revertive: back to the primary once it has been up for failbackDelayMs; ' +
            'non-revertive: stay on the standby until told (switch GROUP primary)',
          type: 'string',
          enum: ['revertive', 'non-revertive'],
          default: 'revertive',
        },
        failbackDelayMs: {
          description: 'how long the primary must stay up before traffic returns to it',
          type: 'integer',
          minimum: 0,
          maximum: 3600000,
          default: 2000,
        },
        flapDamping: {
          description: 'hold the standby when the primary keeps failing',
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            maxChanges: {
              description: 'failures within windowMs that start a hold; 0 turns damping off',
              type: 'integer',
              minimum: 0,
              maximum: 1000,
              default: 5,
            },
            windowMs: {
              description: 'the sliding window that failures are counted in',
              type: 'integer',
              minimum: 1,
              maximum: 3600000,
              default: 10000,
            },
            holdMs: {
              description: 'how long the standby is held after the latest failure',
              type: 'integer',
              minimum: 0,
              maximum: 86400000,
              default: 30000,
            },
          },
        },
      },
    },
    log: {
      description: "the daemon's log",
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        level: {
          description:
            'pino log level; output is JSON lines, or coloured lines when stdout is a terminal; set-log-level ' +
            'changes it at run time',
          type: 'string',
          enum: LOG_LEVELS,
          default: 'info',
        },
      },
    },
    groups: {
      description:
        'one group per VM port: a virtio-net port and its primary and standby uplinks. The groups together ' +
        "take at most 32 DPDK ports, as many as the distribution's DPDK holds (RTE_MAX_ETHPORTS): every uplink " +
        "that is a DPDK device one each (the guest is lib/vhost's, not a port)",
      type: 'array',
      minItems: 1,
      maxItems: 256,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'mac', 'vhost', 'primary', 'standby'],
        properties: {
          name: {
            description: 'names the group in logs, stats, metrics, CLI arguments and capture file names; unique',
            type: 'string',
            pattern: GROUP_NAME_PATTERN,
          },
          mac: {
            description:
              "unicast MAC address of the VM port, not all zeros and no other group's; it must equal the MAC QEMU " +
              'gives the guest',
            type: 'string',
            pattern: MAC_PATTERN,
          },
          mtu: {
            description:
              'set on both uplinks; the largest of all groups at start (at least 1500) sizes the mbufs, and a ' +
              'group added at run time may not exceed it',
            type: 'integer',
            minimum: 68,
            maximum: 9600,
            default: 1500,
          },
          queues: {
            description:
              "queue pairs on the guest's port and on both uplinks (the guest: QEMU's vhost-user netdev queues=N " +
              'at most, virtio-net-pci mq=on, vectors=2N+2, then ethtool -L combined N); the queues are spread ' +
              "over the worker CPUs, and a failover moves every queue at once. Each uplink's driver must offer N " +
              'queues (net_tap: at most 4 in DPDK 22.11, whose net_tap overflows its stack at start beyond that)',
            type: 'integer',
            minimum: 1,
            maximum: 16,
            default: 1,
          },
          rx: {
            description:
              "which uplinks' frames reach the guest. failover (net_failover's rule): the primary's always, the " +
              "standby's while the primary does not transmit and for rxGraceMs after it starts to; both: either's " +
              "(paths on separate L2 segments); active: only the transmitting uplink's",
            type: 'string',
            enum: ['failover', 'both', 'active'],
            default: 'failover',
          },
          rxGraceMs: {
            description:
              "rx: failover: how long the standby's frames still reach the guest after the primary takes over, so " +
              'that nothing in flight on the old path is lost',
            type: 'integer',
            minimum: 0,
            maximum: 60000,
            default: 500,
          },
          spoofCheck: {
            description:
              "drop the guest's frames whose source MAC is not the group's mac (like a VF's spoofchk); turn it off " +
              'for a guest that routes or bridges other hosts',
            type: 'boolean',
            default: true,
          },
          vhost: {
            description: "the guest's vhost-user port",
            type: 'object',
            additionalProperties: false,
            required: ['socket'],
            properties: {
              socket: {
                description: 'vhost-user unix socket shared with QEMU (-chardev socket,path=PATH)',
                ...qemuSocketPath,
              },
              mode: {
                description:
                  'server: the daemon creates the socket (and its directory); client: QEMU creates it, the daemon ' +
                  'connects and reconnects',
                type: 'string',
                enum: ['server', 'client'],
                default: 'server',
              },
            },
          },
          announce: {
            description: "this group's own announce settings (default: the global ones)",
            ...groupAnnounce,
          },
          qmp: {
            description:
              "QEMU's QMP socket and the guest NIC's device id: the guest's multicast list and VLAN filter are read " +
              'from there and mirrored onto both uplinks (without it both uplinks take all multicast and every VLAN)',
            type: 'object',
            additionalProperties: false,
            required: ['socket', 'device'],
            properties: {
              socket: { description: "QEMU's QMP unix socket (-qmp unix:PATH,server=on,wait=off)", ...qemuSocketPath },
              device: {
                description: 'id of the virtio-net device (-device virtio-net-pci,id=ID; libvirt: net0, net1, ...)',
                type: 'string',
                minLength: 1,
              },
            },
          },
          primary: { description: 'the preferred uplink, e.g. an SR-IOV VF', ...uplink },
          standby: {
            description: 'the uplink used while the primary is down, e.g. a tap',
            ...uplink,
          },
        },
      },
    },
  },
} as const);
