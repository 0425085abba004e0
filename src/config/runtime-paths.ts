// Paths named at run time (add-group, attach) may only lie where the operator said: the daemon
// creates and removes socket files there as root. The config file's own paths are the operator's
// and need no such rule.
import path from 'path';
import type { Config, GroupConfig } from './types';
import { devargsSocketPaths, liesUnder } from './devargs-rules';

/** control.runtimeDirectories, or else the directories of the config file's own sockets. */
export function runtimeDirectories(config: Config): string[] {
  if (config.control.runtimeDirectories) return [...config.control.runtimeDirectories];
  const sockets = [
    config.control.socket,
    ...config.groups.flatMap((group) => [group.vhost.socket, ...(group.qmp ? [group.qmp.socket] : [])]),
  ];
  return [...new Set(sockets.map((socket) => path.dirname(socket)))];
}

/** Every path in a group (its sockets, and sockets its devargs name) outside `directories`. */
export function pathsOutside(group: GroupConfig, directories: readonly string[]): string[] {
  const paths = [
    group.vhost.socket,
    ...(group.qmp ? [group.qmp.socket] : []),
    ...devargsSocketPaths(group.primary.devargs),
    ...devargsSocketPaths(group.standby.devargs),
  ];
  return paths.filter((candidate) => !liesUnder(candidate, directories));
}
