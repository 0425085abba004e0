// What a reload changes: the difference between the configuration the daemon runs and the file
// as it reads now, sorted by what each change needs. Pure; the daemon applies it.
import { isDeepStrictEqual } from 'util';
import type { Config, GroupConfig } from './types';

/** How a group's entry changed, by what applying it takes. */
export interface GroupChanges {
  /** In the file now, not before: started. */
  added: GroupConfig[];
  /** Gone from the file: stopped. */
  removed: string[];
  /** A setting its ports were opened with changed (mac, mtu, rx, vhost, standby...): restarted. */
  restarted: GroupConfig[];
  /** Only the primary changed: detached and the new one attached, the guest stays connected. */
  primaryReplaced: GroupConfig[];
  /** Only the QMP socket or the group's announce settings changed: applied live. */
  reconfigured: GroupConfig[];
  unchanged: string[];
}

export interface ConfigDiff {
  groups: GroupChanges;
  /** The failover or announce section changed: every group's policy and announcer get it. */
  policyChanged: boolean;
  logLevelChanged: boolean;
  metricsChanged: boolean;
  /** control.operators changed: who may change the daemon from now on. */
  accessChanged: boolean;
  /** Settings a running daemon cannot take (EAL's, the control socket's): they wait for a restart. */
  needsRestart: string[];
}

// A group's fields that the running group can take without reopening its ports.
const LIVE_GROUP_FIELDS = ['qmp', 'announce'] as const;

function without<T extends object>(value: T, keys: readonly string[]): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key))) as Partial<T>;
}

function groupChanges(before: GroupConfig[], after: GroupConfig[]): GroupChanges {
  const changes: GroupChanges = {
    added: [],
    removed: [],
    restarted: [],
    primaryReplaced: [],
    reconfigured: [],
    unchanged: [],
  };
  const old = new Map(before.map((group) => [group.name, group]));
  for (const group of after) {
    const previous = old.get(group.name);
    old.delete(group.name);
    if (!previous) changes.added.push(group);
    else if (isDeepStrictEqual(previous, group)) changes.unchanged.push(group.name);
    else if (
      !isDeepStrictEqual(
        without(previous, [...LIVE_GROUP_FIELDS, 'primary']),
        without(group, [...LIVE_GROUP_FIELDS, 'primary']),
      )
    )
      changes.restarted.push(group);
    else if (!isDeepStrictEqual(previous.primary, group.primary)) changes.primaryReplaced.push(group);
    else changes.reconfigured.push(group);
  }
  changes.removed = [...old.keys()];
  return changes;
}

export function diffConfig(before: Config, after: Config): ConfigDiff {
  const control = ['socket', 'mode', 'group'] as const;
  const needsRestart = [
    ...(isDeepStrictEqual(before.dataplane, after.dataplane) ? [] : ['dataplane']),
    ...control.filter((key) => before.control[key] !== after.control[key]).map((key) => `control.${key}`),
  ];
  return {
    groups: groupChanges(before.groups, after.groups),
    policyChanged:
      !isDeepStrictEqual(before.failover, after.failover) || !isDeepStrictEqual(before.announce, after.announce),
    logLevelChanged: before.log.level !== after.log.level,
    metricsChanged: !isDeepStrictEqual(before.metrics, after.metrics),
    accessChanged: !isDeepStrictEqual(before.control.operators, after.control.operators),
    needsRestart,
  };
}
