// What each control operation does, in terms of the daemon's data plane.
import type { Daemon } from '../daemon';
import type { GroupStats, GroupStatus } from '../dataplane';
import type { PathRecord } from '../failover/path-history';
import { RequestError, stringArg, type Request } from './protocol';
import type { Handler } from './server';

export interface GroupStatusReply extends GroupStatus {
  lastSwitch: PathRecord | null;
}

export interface StatsReply {
  mbufsInUse: number;
  groups: Record<string, GroupStats>;
}

export function controlHandlers(daemon: Daemon): Record<string, Handler> {
  const { dataplane, config, pathHistory } = daemon;
  const groupNames = () => config.groups.map((group) => group.name);
  const groupOf = (request: Request): string => {
    const name = stringArg(request, 'group');
    if (!groupNames().includes(name))
      throw new RequestError(`no group "${name}"; groups: ${groupNames().join(', ')}`);
    return name;
  };
  return {
    groups: () => groupNames(),
    status: (): GroupStatusReply[] =>
      groupNames().map((name) => ({ ...dataplane.status(name), lastSwitch: pathHistory.get(name) ?? null })),
    stats: (request): StatsReply => {
      const names = request.group === undefined ? groupNames() : [groupOf(request)];
      return {
        mbufsInUse: dataplane.mbufsInUse(),
        groups: Object.fromEntries(names.map((name) => [name, dataplane.stats(name)])),
      };
    },
  };
}
