// What a group reports of itself: the native data plane's view plus the control plane's
// (policy, announcements, path history, receive-filter sync). The control protocol's status and
// stats replies are these, so the CLI, metrics and tests read one shape.
import type {
  GroupPortStats,
  GroupStats,
  GroupStatus,
  PortRole,
  PortXstat,
  TxDrain,
  UplinkName,
  WorkerStatsReport,
} from '../dataplane';
import type { GapHistogramSnapshot } from '../failover/gap-histogram';
import type { PathRecord, SwitchCounts } from '../failover/path-history';
import type { Decision, PolicySnapshot } from '../failover/policy';
import type { RxFilterSyncStatus } from '../guest/rx-filter-sync';
import type { RetryState } from './retry-backoff';

export interface GroupStatusReport extends GroupStatus {
  /** MAC announcement rounds are still to come. */
  announcing: boolean;
  lastSwitch: PathRecord | null;
  policy: PolicySnapshot;
  /** The guest's receive filter as read from QEMU; null without `qmp` in the group's config. */
  guestRxFilter: RxFilterSyncStatus | null;
  /** The configured primary could not be probed (or was removed) and is being tried again. */
  primaryRetry: RetryState | null;
  /** Per uplink with `bridge`: the bridge its tap joined, or why it could not. */
  bridges: Partial<Record<UplinkName, string>>;
  /** What runs here that the config file does not say, and a restart would not bring back. */
  notSaved: string[];
}

export interface GroupStatsReport extends GroupStats {
  switches: SwitchCounts;
}

/** The policy's decision on an operator command, and the path in use after it. */
export interface SwitchReport extends Omit<Decision, 'cause'> {
  activePath: GroupStatus['activePath'];
}

export interface DetachReport extends GroupStatusReport {
  txDrain: TxDrain;
}

/** The narrow view of a group that metrics and read-only control ops need. */
export interface GroupView {
  readonly name: string;
  status(): GroupStatusReport;
  stats(): GroupStatsReport;
  portStats(): GroupPortStats;
  /** One port's extended counters, read from its driver on demand. */
  portXstats(port: PortRole): PortXstat[];
  switchGaps(): GapHistogramSnapshot;
}

/** The narrow view of the running groups that metrics and read-only control ops need. */
export interface GroupsView {
  groupNames(): string[];
  group(name: string): GroupView | undefined;
  mbufsInUse(): number;
  /** Where each worker's time went, its frames, and the group queues it polls. */
  workerStats(): WorkerStatsReport;
}
