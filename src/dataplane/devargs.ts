// The vhost-user port of a group is DPDK's vhost PMD: the same ethdev burst API as the uplinks
// (one hot loop for all ports), guest connect/disconnect as link state, and client-mode
// reconnection, NUMA reallocation and live-migration dirty logging done by the library.
//
// linear-buffer=1: a guest frame is copied into one mbuf or not at all. Without it lib/vhost
// chains as many mbufs of the shared pool as a frame's descriptors need (a 64 KiB frame: 32)
// before the hot loop sees, and refuses, a frame longer than the MTU. With it, a frame longer
// than an mbuf's data room (sized for the largest group MTU) is freed inside lib/vhost, which
// DPDK 22.11 counts nowhere: forward.cc counts it (txDroppedInVhost).
import type { GroupConfig } from '../config';

export function vhostDevargs(group: GroupConfig): string {
  const client = group.vhost.mode === 'client' ? 1 : 0;
  return `net_vhost_${group.name},iface=${group.vhost.socket},queues=${group.queues},client=${client},linear-buffer=1`;
}
