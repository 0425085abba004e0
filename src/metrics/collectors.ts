// Prometheus metrics, read from the data plane at scrape time (nothing is counted twice: the
// native per-lcore counters and the drivers' own are the only counters). Names follow Prometheus
// conventions; label values are snake_case throughout.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { COUNTER_LIST } from '../dataplane/counter-list';
import type { CounterSpec, GroupPortStats, GroupStats, PortStats, WorkerStats } from '../dataplane';
import { GAP_BUCKETS_S } from '../failover/gap-histogram';
import type { GroupsView, GroupView } from '../group/reports';

const PATHS = ['primary', 'standby'] as const;
const PORTS = ['vhost', 'primary', 'standby'] as const;

/** What the metrics read besides the groups: the build, and groups that could not start. */
export interface MetricsSource extends GroupsView {
  build(): { version: string; dpdk: string; dpdkBuilt: string };
  failedGroupNames(): string[];
}

/**
 * A histogram whose buckets are read at scrape time from a source that keeps them (each group
 * counts its own failover gaps), instead of being observed into prom-client.
 */
class ReadHistogram extends Histogram<'group'> {
  constructor(
    private readonly metricName: string,
    private readonly metricHelp: string,
    registry: Registry,
    private readonly read: () => Array<{ group: string; cumulative: number[]; count: number; sum: number }>,
  ) {
    super({ name: metricName, help: metricHelp, labelNames: ['group'], buckets: GAP_BUCKETS_S, registers: [registry] });
  }

  // The registry renders a histogram from getForPromString (get() builds on it too): the values
  // come from the groups, not from observations.
  async getForPromString() {
    const name = this.metricName;
    const values = this.read().flatMap(({ group, cumulative, count, sum }) => [
      ...[...GAP_BUCKETS_S, '+Inf' as const].map((le, i) => ({
        labels: { group, le },
        value: i < GAP_BUCKETS_S.length ? cumulative[i] : count,
        metricName: `${name}_bucket`,
      })),
      { labels: { group }, value: sum, metricName: `${name}_sum` },
      { labels: { group }, value: count, metricName: `${name}_count` },
    ]);
    return { name, help: this.metricHelp, type: 'histogram' as const, values, aggregator: 'sum' as const };
  }
}

export function createRegistry(source: MetricsSource): Registry {
  const registry = new Registry();
  // The control plane's own health under its usual names (process_*, nodejs_*: CPU, memory, open
  // files, event-loop lag, heap), as every Node exporter has them, so existing dashboards apply.
  collectDefaultMetrics({ register: registry });
  const groups = (): GroupView[] =>
    source.groupNames().flatMap((name) => {
      const group = source.group(name);
      return group ? [group] : [];
    });
  // The drivers' counters cost a driver call per port: read once per scrape, shared by the
  // metrics below (one scrape reads them all within a few milliseconds).
  let portStatsAt = 0;
  let portStats = new Map<string, GroupPortStats>();
  const portStatsOf = (group: GroupView): GroupPortStats => {
    if (Date.now() - portStatsAt > 500) {
      portStats = new Map();
      portStatsAt = Date.now();
    }
    if (!portStats.has(group.name)) portStats.set(group.name, group.portStats());
    return portStats.get(group.name)!;
  };

  // The data plane's counters, one metric per line of native/dpdk/hot/counters.def, or for a drop a
  // reason of vhost_failover_dropped_packets_total. Read, not incremented: reset and set at
  // every scrape.
  const pathsOf = (spec: CounterSpec, stats: GroupStats): Array<[string, number]> => {
    const value = stats[spec.name];
    return typeof value === 'number' ? [['none', value]] : PATHS.map((path) => [path, value[path]]);
  };
  for (const spec of COUNTER_LIST.filter((counter) => counter.reason === ''))
    new Counter({
      name: `vhost_failover_${spec.metric}_total`,
      help: spec.help,
      labelNames: spec.perPath ? ['group', 'path'] : ['group'],
      registers: [registry],
      collect() {
        this.reset();
        for (const group of groups())
          for (const [path, value] of pathsOf(spec, group.stats()))
            this.inc(spec.perPath ? { group: group.name, path } : { group: group.name }, value);
      },
    });
  new Counter({
    name: 'vhost_failover_dropped_packets_total',
    help: 'Frames dropped, by direction and reason',
    labelNames: ['group', 'path', 'direction', 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const group of groups()) {
        const stats = group.stats();
        for (const spec of COUNTER_LIST.filter((counter) => counter.reason !== ''))
          for (const [path, value] of pathsOf(spec, stats))
            this.inc({ group: group.name, path, direction: spec.direction, reason: spec.reason }, value);
      }
    },
  });

  // The drivers' own counters, per port: what the NIC missed or could not take (imissed, no mbuf
  // for a received frame), and its errors; a NOC watches these beside the daemon's drops.
  const portCounter = (name: string, help: string, read: (port: PortStats) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['group', 'port'],
      registers: [registry],
      collect() {
        this.reset();
        for (const group of groups()) {
          const stats = portStatsOf(group);
          for (const port of PORTS) if (stats[port].present) this.inc({ group: group.name, port }, read(stats[port]));
        }
      },
    });
  // Per queue: whether a group's queues all carry traffic, and that a failover left none behind.
  const queueCounter = (name: string, help: string, read: (port: PortStats) => number[]) =>
    new Counter({
      name,
      help,
      labelNames: ['group', 'port', 'queue'],
      registers: [registry],
      collect() {
        this.reset();
        for (const group of groups()) {
          const stats = portStatsOf(group);
          for (const port of PORTS)
            if (stats[port].present)
              read(stats[port]).forEach((count, queue) =>
                this.inc({ group: group.name, port, queue: String(queue) }, count),
              );
        }
      },
    });
  queueCounter(
    'vhost_failover_port_queue_rx_packets_total',
    "Frames the port's driver received, per queue",
    (p) => p.queueIpackets,
  );
  queueCounter(
    'vhost_failover_port_queue_tx_packets_total',
    "Frames the port's driver sent, per queue",
    (p) => p.queueOpackets,
  );
  portCounter('vhost_failover_port_rx_packets_total', "Frames the port's driver received", (p) => p.ipackets);
  portCounter('vhost_failover_port_tx_packets_total', "Frames the port's driver sent", (p) => p.opackets);
  portCounter(
    'vhost_failover_port_rx_missed_total',
    'Frames the NIC dropped because its receive ring was full (imissed)',
    (p) => p.imissed,
  );
  portCounter('vhost_failover_port_rx_nombuf_total', 'Frames lost for want of an mbuf (rx_nombuf)', (p) => p.rxNombuf);
  portCounter('vhost_failover_port_rx_errors_total', 'Erroneous frames received (ierrors)', (p) => p.ierrors);
  portCounter('vhost_failover_port_tx_errors_total', 'Frames the port failed to send (oerrors)', (p) => p.oerrors);

  new Counter({
    name: 'vhost_failover_path_switches_total',
    help: 'Changes of the transmitting path, by kind (link_down, removed, tx_stalled, reset, detached, operator, failback, other)',
    labelNames: ['group', 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const group of groups())
        for (const [kind, count] of Object.entries(group.stats().switches))
          this.inc({ group: group.name, reason: kind.replace(/-/g, '_') }, count ?? 0);
    },
  });

  new ReadHistogram(
    'vhost_failover_switch_gap_seconds',
    'Per path switch: time from the last frame sent on the old path to the first on the new one',
    registry,
    () =>
      groups().map((group) => {
        const gaps = group.switchGaps();
        return { group: group.name, cumulative: gaps.cumulative, count: gaps.count, sum: gaps.sumSeconds };
      }),
  );

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
    name: 'vhost_failover_group_running',
    help: '1 for a running group, 0 for one whose vhost port or standby could not be opened (retrying)',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.reset();
      for (const group of groups()) this.set({ group: group.name }, 1);
      for (const name of source.failedGroupNames()) this.set({ group: name }, 0);
    },
  });

  new Gauge({
    name: 'vhost_failover_primary_retrying',
    help: '1 while the configured primary cannot be probed and is tried again (the group runs on its standby)',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.reset();
      for (const group of groups()) this.set({ group: group.name }, group.status().primaryRetry ? 1 : 0);
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
    name: 'vhost_failover_mbufs_in_use',
    help: 'Packet buffers of the mbuf pools not free (rings, in flight); flat when nothing leaks',
    registers: [registry],
    collect() {
      this.set(source.mbufsInUse());
    },
  });

  // Where each worker lcore's time goes, as OVS's pmd-stats-show: busy over busy + idle is how
  // loaded it is while it polls, busy cycles over frames what a frame costs it.
  new Counter({
    name: 'vhost_failover_worker_cycles_total',
    help: 'TSC cycles of a worker lcore in passes that moved frames (busy) and in passes that moved none (idle polling)',
    labelNames: ['worker', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const worker of source.workerStats().workers) {
        this.inc({ worker: String(worker.lcore), state: 'busy' }, worker.busyCycles);
        this.inc({ worker: String(worker.lcore), state: 'idle' }, worker.idleCycles);
      }
    },
  });
  const workerCounter = (name: string, help: string, read: (worker: WorkerStats, tscHz: number) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['worker'],
      registers: [registry],
      collect() {
        this.reset();
        const { tscHz, workers } = source.workerStats();
        for (const worker of workers) this.inc({ worker: String(worker.lcore) }, read(worker, tscHz));
      },
    });
  workerCounter('vhost_failover_worker_frames_total', 'Frames a worker lcore moved, both ways', (w) => w.frames);
  workerCounter(
    'vhost_failover_worker_asleep_seconds_total',
    'Time a worker lcore spent in its idle waits (timed sleeps, or asleep on rx interrupts)',
    (w, tscHz) => w.asleepCycles / tscHz,
  );

  new Gauge({
    name: 'vhost_failover_build_info',
    help: 'Always 1; the labels say which vhost-failover, DPDK (loaded, and compiled with) and Node.js run',
    labelNames: ['version', 'dpdk', 'dpdk_built', 'nodejs'],
    registers: [registry],
    collect() {
      this.reset();
      const { version, dpdk, dpdkBuilt } = source.build();
      this.set({ version, dpdk, dpdk_built: dpdkBuilt, nodejs: process.versions.node }, 1);
    },
  });
  return registry;
}
