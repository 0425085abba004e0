// The systemd unit as tests read it: a directive's values, and the system calls a
// SystemCallFilter= allows, expanded as systemd expands its @groups.
import { spawnSync } from 'child_process';

/** Every value of `key=` in the unit, one per line it appears on. */
export function unitValues(unit: string, key: string): string[] {
  return [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1].trim());
}

/** The system calls a SystemCallFilter= list allows (names and @groups, nested groups included). */
export function allowedSystemCalls(entries: string[]): Set<string> {
  const out = new Set<string>();
  const expand = (entry: string): void => {
    if (!entry.startsWith('@')) return void out.add(entry);
    const listed = spawnSync('systemd-analyze', ['syscall-filter', entry], { encoding: 'utf8' }).stdout;
    for (const line of listed.split('\n').slice(1)) {
      const name = line.trim();
      if (name && !name.startsWith('#')) expand(name);
    }
  };
  entries.forEach(expand);
  return out;
}
