// The configuration after validation, with every default filled in. The file format itself is
// described by schema.ts; these types are what the rest of the program relies on.

/** Which uplinks the VM receives from: both (standby keeps delivering too), or only the active one. */
export type RxMode = 'both' | 'active';

/** server: we create the vhost-user socket. client: QEMU is the server; we connect and reconnect. */
export type VhostMode = 'server' | 'client';

export interface UplinkConfig {
  /** DPDK devargs: a PCI address "0000:3b:02.1[,k=v]" or a vdev "net_tap0,iface=x". */
  devargs: string;
  /**
   * Primary only: set the guest's MAC on the port. Unset means yes for a PCI device (a VF filters
   * on it) and no for a vdev (net_tap would put the guest's MAC on a host interface).
   */
  setGuestMac?: boolean;
}

export interface VhostConfig {
  /** Absolute path of the vhost-user unix socket. */
  socket: string;
  mode: VhostMode;
}

export interface GroupConfig {
  name: string;
  mac: string;
  mtu: number;
  rx: RxMode;
  vhost: VhostConfig;
  /** Overrides of the global announce settings for this group. */
  announce?: Partial<AnnounceConfig>;
  primary: UplinkConfig;
  standby: UplinkConfig;
  /** Where to read the guest's receive filter (multicast list, VLANs) from QEMU. */
  qmp?: QmpConfig;
}

export interface QmpConfig {
  /** QEMU's QMP socket (-qmp unix:PATH,server=on,wait=off). */
  socket: string;
  /** The id of the guest's virtio-net device (-device virtio-net-pci,id=ID). */
  device: string;
}

export interface DataplaneConfig {
  filePrefix: string;
  workerCpus: number[];
  mbufs: number;
  rxDescriptors: number;
  txDescriptors: number;
  linkPollIntervalUs: number;
  /** 0 means pure busy polling. */
  idleSleepMaxUs: number;
  extraEalArgs: string[];
}

export interface ControlConfig {
  socket: string;
  /** Octal permissions of the socket file, like "0600". */
  mode: string;
  /** Unix group that owns the socket. */
  group?: string;
  /** Allows the `inject-removal` op (labs only). */
  faultInjection: boolean;
}

export interface MetricsConfig {
  address: string;
  /** Off when absent. */
  port?: number;
}

export interface AnnounceConfig {
  rounds: number;
  initialMs: number;
  stepMs: number;
  maxMs: number;
  /** GARPs go out for guest IPv4 addresses seen in its ARP within this many ms; 0: RARP only. */
  garpMaxAgeMs: number;
}

export interface FlapDampingConfig {
  /** Transitions to unusable within windowMs that start a hold; 0 disables damping. */
  maxChanges: number;
  windowMs: number;
  holdMs: number;
}

export interface FailoverConfig {
  mode: 'revertive' | 'non-revertive';
  failbackDelayMs: number;
  flapDamping: FlapDampingConfig;
}

export interface LogConfig {
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
}

export interface Config {
  dataplane: DataplaneConfig;
  control: ControlConfig;
  metrics: MetricsConfig;
  announce: AnnounceConfig;
  failover: FailoverConfig;
  log: LogConfig;
  groups: GroupConfig[];
}
