// The vhost-user port of a group is DPDK's vhost PMD: the same ethdev burst API as the uplinks
// (one hot loop for all ports), guest connect/disconnect as link state, and client-mode
// reconnection, NUMA reallocation and live-migration dirty logging done by the library.
import type { GroupConfig } from '../config';

export function vhostDevargs(group: GroupConfig): string {
  const client = group.vhost.mode === 'client' ? 1 : 0;
  return `net_vhost_${group.name},iface=${group.vhost.socket},queues=${group.queues},client=${client}`;
}
