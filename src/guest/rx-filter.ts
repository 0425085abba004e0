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
  const vlanFiltering = !info.promiscuous && info.vlan !== 'all';
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
