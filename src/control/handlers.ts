// The control ops, one table: each op's access level (read, or change), its handler and its typed
// reply. Arguments are checked here, and a wrong one is answered with what was expected; nothing
// a client sends reaches native code unchecked. Handlers see the daemon only through the narrow
// ControlTarget.
import type { GroupConfig, LogLevel } from '../config';
import { LOG_LEVELS } from '../config';
import { PORT_ROLES, type CaptureLimits, type CaptureReport, type RemovalSignal } from '../dataplane';
import type { OperatorCommand } from '../failover/policy';
import { captureLimits, type CapturedGroup } from '../group/group-capture';
import type { DetachReport, GroupStatusReport, GroupsView, GroupView, SwitchReport } from '../group/reports';
import type { Access } from './access';
import {
  RequestError,
  stringArg,
  type HealthReply,
  type IdentityReply,
  type Op,
  type OpReplies,
  type ReloadReply,
  type Request,
} from './protocol';

/** A group as the changing ops need it. */
export interface ControlledGroup extends GroupView, CapturedGroup {
  command(to: OperatorCommand): SwitchReport;
  detachPrimary(): DetachReport;
  injectPrimaryRemoval(signal: RemovalSignal): void;
  injectTxStall(): void;
  injectResetRequest(): void;
  injectDriverStall(ms: number): void;
}

/** What the control ops need of the daemon. */
export interface ControlTarget extends GroupsView {
  group(name: string): ControlledGroup | undefined;
  identity(): IdentityReply;
  health(): HealthReply;
  reload(): Promise<ReloadReply>;
  addGroup(raw: unknown): Promise<GroupConfig>;
  /** Checked against the running groups as a config file would be. */
  attachPrimary(group: string, devargs: string): GroupStatusReport;
  removeGroup(name: string): void;
  /** Starts mirroring a group's frames into a new pcap file of the daemon's capture directory. */
  startCapture(group: ControlledGroup, limits: CaptureLimits): CaptureReport;
  setLogLevel(level: LogLevel): void;
  /** Groups that could not start and are tried again. */
  failedGroupNames(): string[];
  /** Runs a change after every change before it has ended. */
  serialized<T>(change: () => T | Promise<T>): Promise<T>;
  readonly faultInjection: boolean;
}

export type Handler<R> = (request: Request) => R | Promise<R>;
export interface OpEntry<R> {
  access: Access;
  run: Handler<R>;
}
export type Handlers = { [O in Op]: OpEntry<OpReplies[O]> };

const SWITCH_TARGETS: readonly OperatorCommand[] = ['primary', 'standby', 'auto'];
const MAX_STALL_MS = 60000;
const REMOVAL_SIGNALS: readonly RemovalSignal[] = ['rmv', 'device-event'];

/** Runs fn, turning what it throws into a refusal with the same message. */
function refusing<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw err instanceof RequestError ? err : new RequestError((err as Error).message);
  }
}

function oneOf<T extends string>(request: Request, name: string, allowed: readonly T[]): T {
  const value = stringArg(request, name);
  if (!allowed.includes(value as T))
    throw new RequestError(`"${name}" must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, not "${value}"`);
  return value as T;
}

export function controlHandlers(target: ControlTarget): Handlers {
  const groupOf = (request: Request): ControlledGroup => {
    const name = stringArg(request, 'group');
    const group = target.group(name);
    if (!group) throw new RequestError(`no group "${name}"; groups: ${target.groupNames().join(', ') || 'none'}`);
    return group;
  };
  const selected = (request: Request) =>
    request.group === undefined ? target.groupNames().map((name) => target.group(name)!) : [groupOf(request)];
  const faultInjection = () => {
    if (!target.faultInjection)
      throw new RequestError('fault injection is off; set control.faultInjection: true in the config (labs only)');
  };
  const read = <R>(run: Handler<R>): OpEntry<R> => ({ access: 'read', run });
  // One change at a time: each sees the state the one before it left.
  const change = <R>(run: Handler<R>): OpEntry<R> => ({
    access: 'change',
    run: (request) => target.serialized(() => run(request)),
  });

  return {
    groups: read(() => target.groupNames()),
    status: read((request) => selected(request).map((group) => group.status())),
    stats: read((request) => ({
      mbufsInUse: target.mbufsInUse(),
      groups: Object.fromEntries(selected(request).map((group) => [group.name, group.stats()])),
    })),
    'worker-stats': read(() => target.workerStats()),
    'port-xstats': read((request) => {
      const group = groupOf(request);
      const port = request.port === undefined ? 'primary' : oneOf(request, 'port', PORT_ROLES);
      return { group: group.name, port, xstats: refusing(() => group.portXstats(port)) };
    }),
    'capture-status': read((request) => groupOf(request).captureReport() ?? null),
    identity: read(() => target.identity()),
    health: read(() => target.health()),
    switch: change((request) => {
      const group = groupOf(request);
      return group.command(oneOf(request, 'to', SWITCH_TARGETS));
    }),
    'add-group': change(async (request) => {
      if (typeof request.config !== 'object' || request.config === null)
        throw new RequestError('"add-group" needs "config", a group object as in the config file\'s groups list');
      try {
        return await target.addGroup(request.config);
      } catch (err) {
        throw new RequestError((err as Error).message);
      }
    }),
    attach: change((request) => {
      const group = groupOf(request);
      const devargs = stringArg(request, 'devargs');
      return refusing(() => target.attachPrimary(group.name, devargs));
    }),
    detach: change((request) => {
      const group = groupOf(request);
      return refusing(() => group.detachPrimary());
    }),
    // A change: it writes a file of guests' traffic, which only operators may have made.
    capture: change((request) => {
      const group = groupOf(request);
      const limits = refusing(() => captureLimits(request));
      return refusing(() => target.startCapture(group, limits));
    }),
    'inject-removal': change((request) => {
      const group = groupOf(request);
      faultInjection();
      const signal = request.signal === undefined ? 'rmv' : oneOf(request, 'signal', REMOVAL_SIGNALS);
      refusing(() => group.injectPrimaryRemoval(signal));
      return { injected: 'removal', group: group.name, signal };
    }),
    'inject-tx-stall': change((request) => {
      const group = groupOf(request);
      faultInjection();
      refusing(() => group.injectTxStall());
      return { injected: 'tx-stall', group: group.name };
    }),
    'inject-reset': change((request) => {
      const group = groupOf(request);
      faultInjection();
      refusing(() => group.injectResetRequest());
      return { injected: 'reset', group: group.name };
    }),
    'inject-stall': change((request) => {
      const group = groupOf(request);
      faultInjection();
      const ms = request.ms;
      if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 1 || ms > MAX_STALL_MS)
        throw new RequestError(`"inject-stall" needs "ms", an integer from 1 to ${MAX_STALL_MS}`);
      refusing(() => group.injectDriverStall(ms));
      return { injected: 'stall', group: group.name, ms };
    }),
    'remove-group': change((request) => {
      // A group that could not start may be removed too: that stops its retries.
      const name = stringArg(request, 'group');
      if (!target.failedGroupNames().includes(name)) groupOf(request);
      target.removeGroup(name);
      return { removed: name };
    }),
    reload: change(async () => {
      try {
        return await target.reload();
      } catch (err) {
        throw new RequestError((err as Error).message);
      }
    }),
    'set-log-level': change((request) => {
      const level = oneOf(request, 'level', LOG_LEVELS);
      target.setLogLevel(level);
      return { level };
    }),
  };
}
