// What a group reports of itself: the native data plane's view plus the control plane's
// (policy, announcements, path history, receive-filter sync). The control protocol's status and
// stats replies are these, so the CLI, metrics and tests read one shape.
import type { GroupStats, GroupStatus, TxDrain } from '../dataplane';
import type { PathRecord, SwitchCounts } from '../failover/path-history';
import type { Decision, PolicySnapshot } from '../failover/policy';
import type { RxFilterSyncStatus } from '../guest/rx-filter-sync';

export interface GroupStatusReport extends GroupStatus {
  /** MAC announcement rounds are still to come. */
  announcing: boolean;
  lastSwitch: PathRecord | null;
  policy: PolicySnapshot;
  /** The guest's receive filter as read from QEMU; null without `qmp` in the group's config. */
  guestRxFilter: RxFilterSyncStatus | null;
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
}

/** The narrow view of the running groups that metrics and read-only control ops need. */
export interface GroupsView {
  groupNames(): string[];
  group(name: string): GroupView | undefined;
  mbufsInUse(): number;
}
