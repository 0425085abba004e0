// What the control plane remembers about each group's active path: since when, why, and how
// many switches of each kind there were. Fed by the data plane's pathSwitched events.
import type { NativeEvent, PathName } from '../dataplane';

/** Why a path switch happened, as a metric label. */
export type SwitchKind = 'link-down' | 'removed' | 'operator' | 'failback' | 'other';

export interface PathRecord {
  activePath: PathName;
  /** CLOCK_MONOTONIC nanoseconds of the last switch, as a decimal string (JSON has no bigint). */
  activeSinceNs: string;
  activeSinceIso: string;
  reason: string;
  switches: number;
  switchesByKind: Partial<Record<SwitchKind, number>>;
}

export function switchKind(event: Pick<NativeEvent, 'reason' | 'to'>): SwitchKind {
  if (event.reason.includes('removed')) return 'removed';
  if (event.reason.includes('operator')) return 'operator';
  if (event.to === 'primary') return 'failback';
  if (event.reason.includes('link down')) return 'link-down';
  return 'other';
}

export class PathHistory {
  private readonly records = new Map<string, PathRecord>();

  observe(event: NativeEvent): void {
    if (event.type !== 'pathSwitched' || !event.to) return;
    const previous = this.records.get(event.group);
    const kind = switchKind(event);
    const byKind = { ...previous?.switchesByKind };
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    this.records.set(event.group, {
      activePath: event.to,
      activeSinceNs: event.atNs.toString(),
      activeSinceIso: new Date().toISOString(),
      reason: event.reason,
      switches: (previous?.switches ?? 0) + 1,
      switchesByKind: byKind,
    });
  }

  get(group: string): PathRecord | undefined {
    return this.records.get(group);
  }
}
