// From QEMU's view of the guest NIC's receive filter (QMP query-rx-filter) to what both uplinks
// are programmed with. The guest sets these through virtio-net's control queue, which QEMU
// handles itself: a vhost-user backend never sees them. libvirt mirrors the same data onto
// macvtap devices (trustGuestRxFilters); this mirrors it onto the VF and the standby.

/** The fields of QEMU's RxFilterInfo this uses (see QEMU's qapi/net.json). */
export interface QemuRxFilterInfo {
  name: string;
  promiscuous: boolean;
  multicast: 'normal' | 'none' | 'all';
  'multicast-overflow': boolean;
  'multicast-table': string[];
  vlan: 'normal' | 'none' | 'all';
  'vlan-table': number[];
}

// QEMU's virtio-net keeps 64 MAC filter entries (MAC_TABLE_ENTRIES) and a 4096-bit VLAN table.
// A VF's VLAN filter holds far fewer than 4096, and each entry is a PF mailbox call: beyond
// MAX_VLAN_FILTER_ENTRIES the uplinks pass every VLAN and the guest's own driver filters.
export const MAX_VLAN_FILTER_ENTRIES = 64;
const MAX_MULTICAST_ENTRIES = 64;
const MULTICAST_MAC = /^[0-9a-f][13579bdf](:[0-9a-f]{2}){5}$/i;
const MODES = ['normal', 'none', 'all'];

/**
 * Checks a query-rx-filter reply as QEMU's, or throws saying what is wrong: the reply reaches
 * native code, and QEMU is not trusted to be QEMU.
 */
export function readRxFilterInfo(reply: unknown): QemuRxFilterInfo {
  const info: unknown = Array.isArray(reply) ? reply[0] : undefined;
  const fail = (what: string): never => {
    throw new Error(`QEMU's query-rx-filter reply ${what}`);
  };
  if (typeof info !== 'object' || info === null) return fail('holds no filter object');
  const fields = info as Record<string, unknown>;
  if (typeof fields.promiscuous !== 'boolean' || typeof fields['multicast-overflow'] !== 'boolean')
    fail('lacks promiscuous or multicast-overflow');
  if (!MODES.includes(fields.multicast as string) || !MODES.includes(fields.vlan as string))
    fail('has an unknown multicast or vlan mode');
  const table = fields['multicast-table'];
  if (!Array.isArray(table) || table.length > MAX_MULTICAST_ENTRIES || !table.every((mac) => MULTICAST_MAC.test(mac)))
    fail(`has a multicast table that is not up to ${MAX_MULTICAST_ENTRIES} multicast MACs`);
  const vlans = fields['vlan-table'];
  if (!Array.isArray(vlans) || vlans.length > 4096 || !vlans.every((v) => Number.isInteger(v) && v >= 0 && v <= 4095))
    fail('has a VLAN table that is not VLAN ids 0..4095');
  return info as QemuRxFilterInfo;
}

/** What the native data plane programs on each uplink. */
export interface UplinkRxFilter {
  allMulticast: boolean;
  multicast: string[];
  vlanFiltering: boolean;
  vlans: number[];
}

/** Before the guest has said anything, and when QEMU is gone: everything passes. */
export const PASS_ALL: UplinkRxFilter = { allMulticast: true, multicast: [], vlanFiltering: false, vlans: [] };

export function uplinkRxFilter(info: QemuRxFilterInfo): UplinkRxFilter {
  // A promiscuous guest, or one whose list overflowed QEMU's table, wants every group.
  const allMulticast = info.promiscuous || info.multicast === 'all' || info['multicast-overflow'];
  const vlanFiltering =
    !info.promiscuous &&
    info.vlan !== 'all' &&
    !(info.vlan === 'normal' && info['vlan-table'].length > MAX_VLAN_FILTER_ENTRIES);
  return {
    allMulticast,
    multicast: allMulticast || info.multicast === 'none' ? [] : [...info['multicast-table']].sort(),
    vlanFiltering,
    // "none": the guest wants no tagged frames at all: filtering with an empty table.
    vlans: vlanFiltering && info.vlan === 'normal' ? [...info['vlan-table']].sort((a, b) => a - b) : [],
  };
}

export function sameRxFilter(a: UplinkRxFilter, b: UplinkRxFilter): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
