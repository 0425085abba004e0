// Human-readable tables for the read commands (the --json forms print the replies as they are).
import type { GroupStatusReply, HealthReply, StatsReply } from '../control/protocol';
import { COUNTER_LIST } from '../dataplane/counter-list';
import type { CounterName, CounterSpec } from '../dataplane';

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

function ago(iso: string): string {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return seconds < 120 ? `${seconds}s ago` : `${Math.round(seconds / 60)}m ago`;
}

function uplink(state: { present: boolean; linkUp: boolean }, eligible?: boolean): string {
  if (!state.present) return 'absent';
  const link = state.linkUp ? 'up' : 'DOWN';
  return eligible === undefined ? link : `${link}, ${eligible ? 'eligible' : 'not eligible'}`;
}

// The addresses each guest claimed in its ARP, which announcements carry GARPs for.
function guestAddresses(groups: GroupStatusReply[]): string {
  return groups
    .filter((group) => group.guestIPv4.length > 0)
    .map((group) => {
      const addresses = group.guestIPv4.map((entry) => {
        const vlan = entry.vlan ? ` vlan ${entry.vlan}` : '';
        const stale = entry.announced ? '' : ', too old to announce';
        return `${entry.address}${vlan} (seen ${Math.round(entry.lastSeenMsAgo / 1000)}s ago${stale})`;
      });
      return `${group.name}: guest IPv4 ${addresses.join(', ')}\n`;
    })
    .join('');
}

// Each uplink's device and how the data plane reaches it: an ethdev port, or a tap it reads itself.
function devices(groups: GroupStatusReply[]): string {
  const device = (state: GroupStatusReply['primary']) =>
    !state.devargs
      ? 'none'
      : state.kind === 'tap'
        ? `${state.devargs} (own tap)`
        : `${state.devargs} (port ${state.portId})`;
  return groups
    .map((group) => `${group.name}: primary ${device(group.primary)}, standby ${device(group.standby)}\n`)
    .join('');
}

// Groups with more than one queue pair: which the guest receives on.
function queues(groups: GroupStatusReply[]): string {
  return groups
    .filter((group) => group.queues > 1)
    .map((group) => {
      const enabled = group.guestRxQueuesEnabled.length ? group.guestRxQueuesEnabled.join(' ') : 'none yet';
      return `${group.name}: ${group.queues} queue pairs; the guest receives on ${enabled}\n`;
    })
    .join('');
}

// The guest's receive filter from QEMU and how each uplink took it.
function rxFilters(groups: GroupStatusReply[]): string {
  return groups
    .filter((group) => group.guestRxFilter)
    .map((group) => {
      const sync = group.guestRxFilter!;
      const { filter } = sync;
      const multicast = filter.allMulticast ? 'all multicast' : `multicast ${filter.multicast.join(' ') || 'none'}`;
      const vlans = filter.vlanFiltering ? `VLANs ${filter.vlans.join(' ') || 'none'}` : 'all VLANs';
      const uplink = (path: 'primary' | 'standby') =>
        group[path].present
          ? `${path}: multicast ${group[path].rxFilter.multicast}, VLAN ${group[path].rxFilter.vlan}`
          : `${path}: absent`;
      const mtu = sync.hostMtu ? `; MTU advertised by QEMU ${sync.hostMtu}` : '';
      return `${group.name}: guest rx filter (QMP ${sync.qmp}): ${multicast}; ${vlans}; ${uplink('primary')}; ${uplink('standby')}${mtu}\n`;
    })
    .join('');
}

const clock = (iso: string | null) => (iso ? iso.slice(11, 19) : 'not scheduled');

// What needs the operator: a primary being retried, a tap out of its bridge, state a restart
// would lose, and groups that could not start at all.
function problems(groups: GroupStatusReply[], health?: HealthReply): string {
  const lines = groups.flatMap((group) => [
    ...(group.primaryRetry
      ? [
          `${group.name}: primary not there, on the standby; try ${group.primaryRetry.attempts + 1} at ` +
            `${clock(group.primaryRetry.nextAttemptAtIso)}: ${group.primaryRetry.lastError}`,
        ]
      : []),
    ...(group.policy?.primaryFault
      ? [`${group.name}: primary out of service (${group.policy.primaryFault}), on the standby until it is reset`]
      : []),
    ...Object.entries(group.bridges)
      .filter(([, bridge]) => bridge?.startsWith('not joined'))
      .map(([path, bridge]) => `${group.name}: ${path} ${bridge}`),
    ...group.notSaved.map((note) => `${group.name}: not saved: ${note}`),
    ...(group.guestQueuesBeyondGroup
      ? [
          `${group.name}: the guest enabled more queue pairs than the group's ${group.queues}; frames it sends on ` +
            `them are lost: give QEMU's netdev queues=${group.queues} at most, or raise the group's queues`,
        ]
      : []),
  ]);
  for (const failed of health?.failed ?? [])
    lines.push(
      `${failed.name}: NOT RUNNING (its vhost port or standby could not be opened); try ${failed.attempts + 1} at ` +
        `${clock(failed.nextAttemptAtIso)}: ${failed.lastError}`,
    );
  return lines.map((line) => line + '\n').join('');
}

export function formatStatus(groups: GroupStatusReply[], health?: HealthReply): string {
  return (
    table(
      ['GROUP', 'GUEST', 'ACTIVE', 'PRIMARY', 'STANDBY', 'SINCE', 'WHY'],
      groups.map((group) => [
        group.name,
        group.guestConnected ? 'connected' : 'waiting',
        group.activePath,
        uplink(group.primary, group.primaryEligible),
        uplink(group.standby),
        group.lastSwitch ? ago(group.lastSwitch.activeSinceIso) : '-',
        group.policy?.lastReason || group.lastSwitch?.reason || '-',
      ]),
    ) +
    devices(groups) +
    guestAddresses(groups) +
    queues(groups) +
    rxFilters(groups) +
    problems(groups, health)
  );
}

export type Rates = Record<string, { txPps: Record<string, number>; rxPps: Record<string, number> }>;

// The counters of native/dpdk/hot/counters.def: one column per path each, or a phrase in the group's line.
const PER_PATH_COUNTERS = COUNTER_LIST.filter((c): c is Extract<CounterSpec, { perPath: true }> => c.perPath);
const GROUP_COUNTERS = COUNTER_LIST.filter((c): c is Extract<CounterSpec, { perPath: false }> => !c.perPath);
const RATE_OF: Partial<Record<CounterName, keyof Rates[string]>> = { txPackets: 'txPps', rxPackets: 'rxPps' };

export function formatStats(stats: StatsReply, rates?: Rates): string {
  const rows: string[][] = [];
  for (const [name, group] of Object.entries(stats.groups))
    for (const path of ['primary', 'standby'] as const)
      rows.push([
        name,
        path,
        ...PER_PATH_COUNTERS.map(({ name: counter }) => {
          const rate = RATE_OF[counter] && rates?.[name]?.[RATE_OF[counter]][path];
          return String(group[counter][path]) + (rate !== undefined ? ` (${Math.round(rate)}/s)` : '');
        }),
      ]);
  const footer = Object.entries(stats.groups).map(([name, group]) => {
    const switches =
      Object.entries(group.switches)
        .map(([kind, count]) => `${kind} ${count}`)
        .join(', ') || 'none';
    const gap = group.lastSwitchGapUs > 0 ? `; last switch gap ${Math.round(group.lastSwitchGapUs)} us` : '';
    const counters = GROUP_COUNTERS.map(({ name: counter, label }) => `${label} ${group[counter]}`).join(', ');
    return `${name}: ${counters}; path switches: ${switches}${gap}`;
  });
  return (
    table(['GROUP', 'PATH', ...PER_PATH_COUNTERS.map((counter) => counter.label)], rows) +
    footer.join('\n') +
    `\nmbufs in use: ${stats.mbufsInUse}\n`
  );
}
