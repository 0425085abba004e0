// Who may do what on the control socket. The kernel names the peer as it was when it connected
// (SO_PEERCRED, SO_PEERGROUPS); reading is for whoever the socket file lets in, changing for
// root, the daemon's own user, and the users and groups control.operators names. Names are
// resolved once, at start.
import { execFileSync } from 'child_process';
import type { ControlConfig } from '../config';

export interface Peer {
  pid: number;
  uid: number;
  gid: number;
  /** Supplementary groups at connect time. */
  groups: number[];
}

export type Access = 'read' | 'change';

/** A user or group name (or numeric id) as a number; throws naming the setting. */
function resolveId(database: 'passwd' | 'group', name: string, setting: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  try {
    return Number(execFileSync('getent', [database, name], { encoding: 'utf8' }).split(':')[2]);
  } catch {
    const what = database === 'passwd' ? 'user' : 'unix group';
    throw new Error(`${setting}: no ${what} "${name}"; create it or remove it from the list`);
  }
}

export class AccessPolicy {
  private readonly uids: Set<number>;
  private readonly gids: Set<number>;

  constructor(config: ControlConfig['operators'], daemonUid = process.geteuid?.() ?? 0) {
    this.uids = new Set([0, daemonUid, ...config.users.map((u) => resolveId('passwd', u, 'control.operators.users'))]);
    this.gids = new Set(config.groups.map((g) => resolveId('group', g, 'control.operators.groups')));
  }

  allows(peer: Peer | undefined, access: Access): boolean {
    if (access === 'read') return true;
    if (!peer) return false;
    return this.uids.has(peer.uid) || [peer.gid, ...peer.groups].some((gid) => this.gids.has(gid));
  }
}
