// What the control plane remembers about each group's active path: since when, why, and how
// many switches of each kind there were. Fed by the data plane's pathSwitched events.
import type { NativeEvent, PathName } from '../dataplane';

export interface PathRecord {
  activePath: PathName;
  /** CLOCK_MONOTONIC nanoseconds of the last switch, as a decimal string (JSON has no bigint). */
  activeSinceNs: string;
  activeSinceIso: string;
  reason: string;
  switches: number;
}

export class PathHistory {
  private readonly records = new Map<string, PathRecord>();

  observe(event: NativeEvent): void {
    if (event.type !== 'pathSwitched' || !event.to) return;
    const previous = this.records.get(event.group);
    this.records.set(event.group, {
      activePath: event.to,
      activeSinceNs: event.atNs.toString(),
      activeSinceIso: new Date().toISOString(),
      reason: event.reason,
      switches: (previous?.switches ?? 0) + 1,
    });
  }

  get(group: string): PathRecord | undefined {
    return this.records.get(group);
  }
}
