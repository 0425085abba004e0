// Prometheus metrics, read from the data plane at scrape time (nothing is counted twice: the
// native per-lcore counters are the only counters). Names follow Prometheus conventions.
import { Counter, Gauge, Registry } from 'prom-client';
import type { PerPath } from '../dataplane';
import type { GroupsView, GroupView } from '../group/reports';

const PATHS = ['primary', 'standby'] as const;

export function createRegistry(source: GroupsView): Registry {
  const registry = new Registry();
  const groups = (): GroupView[] =>
    source.groupNames().flatMap((name) => {
      const group = source.group(name);
      return group ? [group] : [];
    });

  // A counter whose value is read, not incremented: reset and set at every scrape.
  const perPathCounter = (name: string, help: string, read: (group: GroupView) => PerPath) =>
    new Counter({
      name,
      help,
      labelNames: ['group', 'path'],
      registers: [registry],
      collect() {
        this.reset();
        for (const group of groups()) {
          const values = read(group);
          for (const path of PATHS) this.inc({ group: group.name, path }, values[path]);
        }
      },
    });

  perPathCounter(
    'vhost_failover_tx_packets_total',
    'Frames from the guest sent on an uplink',
    (g) => g.stats().txPackets,
  );
  perPathCounter('vhost_failover_tx_bytes_total', 'Bytes from the guest sent on an uplink', (g) => g.stats().txBytes);
  perPathCounter(
    'vhost_failover_rx_packets_total',
    'Frames from an uplink delivered to the guest',
    (g) => g.stats().rxPackets,
  );
  perPathCounter(
    'vhost_failover_rx_bytes_total',
    'Bytes from an uplink delivered to the guest',
    (g) => g.stats().rxBytes,
  );

  perPathCounter(
    'vhost_failover_announcement_rounds_total',
    "Announcement rounds (one RARP for the guest's MAC each) sent on an uplink",
    (g) => g.stats().announcementsSent,
  );
  perPathCounter(
    'vhost_failover_garps_total',
    "Gratuitous ARPs for the guest's learned IPv4 addresses sent on an uplink",
    (g) => g.stats().garpsSent,
  );

  new Counter({
    name: 'vhost_failover_dropped_packets_total',
    help: 'Frames dropped, by direction and reason',
    labelNames: ['group', 'path', 'direction', 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const view of groups()) {
        const stats = view.stats();
        const group = view.name;
        this.inc({ group, path: 'none', direction: 'tx', reason: 'no_path' }, stats.txDroppedNoPath);
        this.inc({ group, path: 'none', direction: 'tx', reason: 'runt' }, stats.txDroppedRunt);
        this.inc({ group, path: 'none', direction: 'tx', reason: 'oversize' }, stats.txDroppedOversize);
        this.inc({ group, path: 'none', direction: 'tx', reason: 'spoofed' }, stats.txDroppedSpoofed);
        for (const path of PATHS) {
          this.inc({ group, path, direction: 'tx', reason: 'uplink_full' }, stats.txDroppedFull[path]);
          this.inc({ group, path, direction: 'rx', reason: 'guest_not_ready' }, stats.rxDroppedGuest[path]);
          this.inc({ group, path, direction: 'rx', reason: 'inactive_path' }, stats.rxDroppedInactive[path]);
        }
      }
    },
  });

  new Counter({
    name: 'vhost_failover_path_switches_total',
    help: 'Changes of the transmitting path, by kind (link-down, removed, operator, failback, other)',
    labelNames: ['group', 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const group of groups())
        for (const [reason, count] of Object.entries(group.stats().switches))
          this.inc({ group: group.name, reason }, count ?? 0);
    },
  });

  new Gauge({
    name: 'vhost_failover_active_path',
    help: '1 for the path the guest transmits on (none: neither uplink usable)',
    labelNames: ['group', 'path'],
    registers: [registry],
    collect() {
      this.reset();
      for (const group of groups()) {
        const active = group.status().activePath;
        for (const path of [...PATHS, 'none']) this.set({ group: group.name, path }, path === active ? 1 : 0);
      }
    },
  });

  new Gauge({
    name: 'vhost_failover_uplink_up',
    help: '1 while an uplink is present and its link is up',
    labelNames: ['group', 'path'],
    registers: [registry],
    collect() {
      this.reset();
      for (const group of groups()) {
        const status = group.status();
        for (const path of PATHS)
          this.set({ group: group.name, path }, status[path].present && status[path].linkUp ? 1 : 0);
      }
    },
  });

  new Gauge({
    name: 'vhost_failover_guest_connected',
    help: '1 while the guest is connected and its queues are ready',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.reset();
      for (const group of groups()) this.set({ group: group.name }, group.status().guestConnected ? 1 : 0);
    },
  });

  new Gauge({
    name: 'vhost_failover_last_switch_timestamp_seconds',
    help: 'Wall-clock time of the last path switch',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.reset();
      for (const group of groups()) {
        const record = group.status().lastSwitch;
        if (record) this.set({ group: group.name }, Date.parse(record.activeSinceIso) / 1000);
      }
    },
  });

  new Gauge({
    name: 'vhost_failover_last_switch_gap_seconds',
    help: 'Last path switch: time from the last frame sent on the old path to the first on the new one',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.reset();
      for (const group of groups()) this.set({ group: group.name }, group.stats().lastSwitchGapUs / 1e6);
    },
  });

  new Gauge({
    name: 'vhost_failover_mbufs_in_use',
    help: 'Packet buffers of the shared pool not free (rings, in flight); flat when nothing leaks',
    registers: [registry],
    collect() {
      this.set(source.mbufsInUse());
    },
  });
  return registry;
}
