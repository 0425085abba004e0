// What the control plane remembers about one group's active path: since when, why, and how many
// switches of each kind there were. Fed by the data plane's pathSwitched events.
import type { PathName, PathSwitchedEvent } from '../dataplane';

/** Why a path switch happened, as a metric label. */
export type SwitchKind =
  'link-down' | 'removed' | 'tx-stalled' | 'reset' | 'detached' | 'operator' | 'failback' | 'other';
export type SwitchCounts = Partial<Record<SwitchKind, number>>;

export interface PathRecord {
  activePath: PathName;
  /** CLOCK_MONOTONIC nanoseconds of the last switch, as a decimal string (JSON has no bigint). */
  activeSinceNs: string;
  activeSinceIso: string;
  reason: string;
  switches: number;
  switchesByKind: SwitchCounts;
}

/** Any switch to the primary is a failback; otherwise the native cause names the kind. */
export function switchKind(event: Pick<PathSwitchedEvent, 'cause' | 'to'>): SwitchKind {
  if (event.cause === 'removed') return 'removed';
  if (event.cause === 'detached') return 'detached';
  if (event.cause === 'operator') return 'operator';
  if (event.to === 'primary') return 'failback';
  if (event.cause === 'link-down') return 'link-down';
  if (event.cause === 'tx-stalled') return 'tx-stalled';
  if (event.cause === 'reset') return 'reset';
  return 'other';
}

export class PathHistory {
  private record?: PathRecord;

  observe(event: PathSwitchedEvent): void {
    const previous = this.record;
    const kind = switchKind(event);
    const byKind = { ...previous?.switchesByKind };
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    this.record = {
      activePath: event.to,
      activeSinceNs: event.atNs.toString(),
      activeSinceIso: new Date().toISOString(),
      reason: event.reason,
      switches: (previous?.switches ?? 0) + 1,
      switchesByKind: byKind,
    };
  }

  /** The last switch; undefined before the first. */
  last(): PathRecord | undefined {
    return this.record;
  }
}
