// The control socket's protocol, shared by the server, the CLI and the lab: JSON lines, one
// request object per line, one reply per request, in request order.
//   request  {"v":1,"id":7,"op":"stats","group":"vm1"}
//   reply    {"v":1,"id":7,"ok":true,"result":{...}}  or  {"v":1,"id":7,"ok":false,"error":"..."}
import type { GroupConfig, LogLevel } from '../config';
import { CONTROL_CHARACTER_RULE, controlCharacterAt } from '../config/control-characters';
import type { CaptureReport, PortRole, PortXstat, RemovalSignal, WorkerStatsReport } from '../dataplane';
import type { DetachReport, GroupStatsReport, GroupStatusReport, SwitchReport } from '../group/reports';

export const PROTOCOL_VERSION = 1;
export const MAX_REQUEST_BYTES = 64 * 1024;
/**
 * Clients connected at once; one more is told so and closed. Clients that may change the daemon
 * have RESERVED_CONNECTIONS more, so readers cannot lock operators out, and one user may hold at
 * most MAX_CONNECTIONS_PER_USER.
 */
export const MAX_CONNECTIONS = 32;
export const RESERVED_CONNECTIONS = 8;
export const MAX_CONNECTIONS_PER_USER = 8;
/** Requests of one client read but not yet answered; beyond it the server stops reading it. */
export const MAX_PENDING_REQUESTS = 16;

export type GroupStatusReply = GroupStatusReport;
export type GroupStatsReply = GroupStatsReport;

export interface StatsReply {
  /** Packet buffers of the mbuf pools not free. */
  mbufsInUse: number;
  groups: Record<string, GroupStatsReply>;
}

/** Each worker lcore's busy, idle and asleep cycles, frames and poll units (cycles since it started). */
export type WorkerStatsReply = WorkerStatsReport;

/** One port's extended counters as its driver names them, read when asked. */
export interface PortXstatsReply {
  group: string;
  port: PortRole;
  xstats: PortXstat[];
}

/** Who is serving a control socket: what a second instance names when it refuses to start. */
export interface IdentityReply {
  pid: number;
  version: string;
  /** The DPDK the daemon runs on (rte_version()) and the one its addon was compiled with. */
  dpdk: string;
  dpdkBuilt: string;
  startedAtIso: string;
  groups: number;
}

/** Whether the daemon does its job: its workers loop, and which groups run or wait to start. */
export interface HealthReply {
  /** Every worker lcore made a pass since the last look. */
  workersAlive: boolean;
  running: string[];
  /** Groups whose vhost port or standby could not be opened, tried again with back-off. */
  failed: Array<{ name: string; attempts: number; lastError: string; nextAttemptAtIso: string | null }>;
}

/** What a reload did, group by group. */
export interface ReloadReply {
  added: string[];
  removed: string[];
  /** A setting their ports were opened with changed: stopped and started again. */
  restarted: string[];
  /** Only the primary changed: detached and the new one attached. */
  primaryReplaced: string[];
  /** QMP or announce settings applied live. */
  reconfigured: string[];
  unchanged: string[];
  /** Settings that wait for a restart (EAL's, the control socket's). */
  needsRestart: string[];
  failed: Array<{ group: string; error: string }>;
}

/** Every op and the `result` of its successful reply. */
export interface OpReplies {
  identity: IdentityReply;
  health: HealthReply;
  reload: ReloadReply;
  groups: string[];
  status: GroupStatusReply[];
  stats: StatsReply;
  'worker-stats': WorkerStatsReply;
  'port-xstats': PortXstatsReply;
  /** The capture as it started: its file, in the daemon's capture directory. */
  capture: CaptureReport;
  /** The group's last capture, running or ended; null if it had none. */
  'capture-status': CaptureReport | null;
  switch: SwitchReport;
  detach: DetachReport;
  attach: GroupStatusReply;
  'add-group': GroupConfig;
  'remove-group': { removed: string };
  'inject-removal': { injected: 'removal'; group: string; signal: RemovalSignal };
  'inject-tx-stall': { injected: 'tx-stall'; group: string };
  'inject-reset': { injected: 'reset'; group: string };
  'inject-stall': { injected: 'stall'; group: string; ms: number };
  'set-log-level': { level: LogLevel };
}
export type Op = keyof OpReplies;

export interface Request {
  v: number;
  id?: number | string;
  op: string;
  [arg: string]: unknown;
}

export type Reply =
  | { v: number; id?: number | string; ok: true; result: unknown }
  | { v: number; id?: number | string; ok: false; error: string };

export class RequestError extends Error {}

/** Parses one line into a request, or throws a RequestError saying what is wrong with it. */
export function parseRequest(line: string): Request {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new RequestError(`request is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new RequestError('request must be a JSON object like {"v":1,"op":"status"}');
  const request = value as Record<string, unknown>;
  // Before any field is read: no string of a request reaches a handler, a log or C++ with one.
  const at = controlCharacterAt(request);
  if (at !== undefined)
    throw new RequestError(
      `"${at}" holds a control character; every string of a request must have ${CONTROL_CHARACTER_RULE}`,
    );
  if (request.v !== undefined && request.v !== PROTOCOL_VERSION)
    throw new RequestError(`protocol version ${JSON.stringify(request.v)} is not supported; use ${PROTOCOL_VERSION}`);
  if (typeof request.op !== 'string') throw new RequestError('request needs "op", a string naming the operation');
  const id = request.id;
  if (id !== undefined && typeof id !== 'number' && typeof id !== 'string')
    throw new RequestError('"id" must be a number or a string');
  return { ...request, v: PROTOCOL_VERSION, op: request.op } as Request;
}

/** Reads a string argument of a request or throws naming it. */
export function stringArg(request: Request, name: string): string {
  const value = request[name];
  if (typeof value !== 'string' || value.length === 0)
    throw new RequestError(`"${request.op}" needs "${name}", a non-empty string`);
  return value;
}
