// The control socket's protocol, shared by the server, the CLI and the lab: JSON lines, one
// request object per line, one reply per request, in request order.
//   request  {"v":1,"id":7,"op":"stats","group":"vm1"}
//   reply    {"v":1,"id":7,"ok":true,"result":{...}}  or  {"v":1,"id":7,"ok":false,"error":"..."}
import type { GroupConfig, LogLevel } from '../config';
import type { DetachReport, GroupStatsReport, GroupStatusReport, SwitchReport } from '../group/reports';

export const PROTOCOL_VERSION = 1;
export const MAX_REQUEST_BYTES = 64 * 1024;
/** Clients connected at once; one more is told so and closed. */
export const MAX_CONNECTIONS = 32;
/** Requests of one client read but not yet answered; beyond it the server stops reading it. */
export const MAX_PENDING_REQUESTS = 16;

export type GroupStatusReply = GroupStatusReport;
export type GroupStatsReply = GroupStatsReport;

export interface StatsReply {
  /** Packet buffers of the shared pool not free. */
  mbufsInUse: number;
  groups: Record<string, GroupStatsReply>;
}

/** Who is serving a control socket: what a second instance names when it refuses to start. */
export interface IdentityReply {
  pid: number;
  version: string;
  startedAtIso: string;
  groups: number;
}

/** Every op and the `result` of its successful reply. */
export interface OpReplies {
  identity: IdentityReply;
  groups: string[];
  status: GroupStatusReply[];
  stats: StatsReply;
  switch: SwitchReport;
  detach: DetachReport;
  attach: GroupStatusReply;
  'add-group': GroupConfig;
  'remove-group': { removed: string };
  'inject-removal': { injected: 'removal'; group: string };
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
