// What each control operation does, in terms of the daemon. Arguments are checked here, and a
// wrong one is answered with what was expected; nothing a client sends reaches native code
// unchecked.
import type { Level } from 'pino';
import type { Daemon } from '../daemon';
import type { GroupStats, GroupStatus } from '../dataplane';
import type { PathRecord } from '../failover/path-history';
import type { OperatorCommand, PolicySnapshot } from '../failover/policy';
import type { RxFilterSyncStatus } from '../guest/rx-filter-sync';
import { RequestError, stringArg, type Request } from './protocol';
import type { Handler } from './server';

export interface GroupStatusReply extends GroupStatus {
  /** MAC announcement rounds are still to come. */
  announcing: boolean;
  lastSwitch: PathRecord | null;
  policy: PolicySnapshot | null;
  /** The guest's receive filter as read from QEMU; null without `qmp` in the group's config. */
  guestRxFilter: RxFilterSyncStatus | null;
}

export interface StatsReply {
  mbufsInUse: number;
  groups: Record<string, GroupStats & { switches: PathRecord['switchesByKind'] }>;
}

const SWITCH_TARGETS: OperatorCommand[] = ['primary', 'standby', 'auto'];
const LOG_LEVELS: Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

export function controlHandlers(daemon: Daemon): Record<string, Handler> {
  const { dataplane, pathHistory, policy } = daemon;
  const groupNames = () => [...daemon.groups.keys()];
  const groupOf = (request: Request): string => {
    const name = stringArg(request, 'group');
    if (!daemon.groups.has(name))
      throw new RequestError(`no group "${name}"; groups: ${groupNames().join(', ') || 'none'}`);
    return name;
  };
  const oneOf = <T extends string>(request: Request, name: string, allowed: readonly T[]): T => {
    const value = stringArg(request, name);
    if (!allowed.includes(value as T))
      throw new RequestError(`"${name}" must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, not "${value}"`);
    return value as T;
  };
  const status = (name: string): GroupStatusReply => ({
    ...dataplane.status(name),
    announcing: daemon.announcer.pending(name),
    lastSwitch: pathHistory.get(name) ?? null,
    policy: policy.snapshot(name) ?? null,
    guestRxFilter: daemon.rxFilterSyncs.get(name)?.status() ?? null,
  });

  return {
    groups: () => groupNames(),
    status: (request) => (request.group === undefined ? groupNames() : [groupOf(request)]).map(status),
    stats: (request): StatsReply => {
      const names = request.group === undefined ? groupNames() : [groupOf(request)];
      return {
        mbufsInUse: dataplane.mbufsInUse(),
        groups: Object.fromEntries(
          names.map((name) => [
            name,
            { ...dataplane.stats(name), switches: pathHistory.get(name)?.switchesByKind ?? {} },
          ]),
        ),
      };
    },
    switch: (request) => {
      const group = groupOf(request);
      const decision = policy.command(group, oneOf(request, 'to', SWITCH_TARGETS));
      return { ...decision, activePath: dataplane.status(group).activePath };
    },
    'add-group': async (request) => {
      if (typeof request.config !== 'object' || request.config === null)
        throw new RequestError('"add-group" needs "config", a group object as in the config file\'s groups list');
      try {
        return await daemon.addGroup(request.config);
      } catch (err) {
        throw new RequestError((err as Error).message);
      }
    },
    attach: (request) => {
      const group = groupOf(request);
      try {
        daemon.attachPrimary(group, stringArg(request, 'devargs'));
      } catch (err) {
        throw new RequestError((err as Error).message);
      }
      return dataplane.status(group);
    },
    detach: (request) => {
      const group = groupOf(request);
      let txDrain;
      try {
        txDrain = daemon.detachPrimary(group);
      } catch (err) {
        throw new RequestError((err as Error).message);
      }
      return { ...dataplane.status(group), txDrain };
    },
    'inject-removal': (request) => {
      const group = groupOf(request);
      if (!daemon.config.control.faultInjection)
        throw new RequestError('fault injection is off; set control.faultInjection: true in the config (labs only)');
      try {
        dataplane.injectPrimaryRemoval(group);
      } catch (err) {
        throw new RequestError((err as Error).message);
      }
      return { injected: 'removal', group };
    },
    'remove-group': (request) => {
      const group = groupOf(request);
      daemon.removeGroup(group);
      return { removed: group };
    },
    'set-log-level': (request) => {
      daemon.log.level = oneOf(request, 'level', LOG_LEVELS);
      return { level: daemon.log.level };
    },
  };
}
