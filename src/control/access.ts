// Who may do what on the control socket. The kernel names the peer (SO_PEERCRED); reading is for
// whoever the socket file lets in, changing for root, the daemon's own user, and the users and
// groups control.operators names. Names are resolved once, at start.
import { execFileSync } from 'child_process';
import fs from 'fs';
import type { ControlConfig } from '../config';

export interface Peer {
  pid: number;
  uid: number;
  gid: number;
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

/** The supplementary groups of a live process; empty if it is gone (then only its gid counts). */
function supplementaryGroups(pid: number): number[] {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const line = /^Groups:\s*(.*)$/m.exec(status)?.[1] ?? '';
    return line.split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
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
    if (this.uids.has(peer.uid) || this.gids.has(peer.gid)) return true;
    return this.gids.size > 0 && supplementaryGroups(peer.pid).some((gid) => this.gids.has(gid));
  }
}
