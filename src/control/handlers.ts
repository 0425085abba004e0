// What each control operation does, in terms of the daemon's data plane.
import type { Daemon } from '../daemon';
import { RequestError, stringArg, type Request } from './protocol';
import type { Handler } from './server';

export function controlHandlers(daemon: Daemon): Record<string, Handler> {
  const { dataplane, config } = daemon;
  const groupNames = () => config.groups.map((group) => group.name);
  const groupOf = (request: Request): string => {
    const name = stringArg(request, 'group');
    if (!groupNames().includes(name))
      throw new RequestError(`no group "${name}"; groups: ${groupNames().join(', ')}`);
    return name;
  };
  return {
    groups: () => groupNames(),
    status: () => groupNames().map((name) => dataplane.status(name)),
    stats: (request) => {
      const names = request.group === undefined ? groupNames() : [groupOf(request)];
      return {
        mbufsInUse: dataplane.mbufsInUse(),
        groups: Object.fromEntries(names.map((name) => [name, dataplane.stats(name)])),
      };
    },
  };
}
