// Unix-socket server for the JSON-lines control protocol. A bad request gets an error reply;
// nothing a client sends can stop the daemon, its forwarding or the other clients:
// - who may change anything is decided from the kernel's peer credentials (access.ts), and every
//   change is logged with the peer's uid, gid and pid;
// - a client is read only while it reads its replies (back-pressure) and has few requests in
//   flight, so one that never reads holds a bounded amount of memory;
// - connections are limited in number and closed when idle;
// - bytes are decoded as a stream, so a character split across reads stays whole.
import { execFileSync } from 'child_process';
import fs from 'fs';
import net from 'net';
import path from 'path';
import { ConfigError, type ControlConfig } from '../config';
import { ensureSocketDirectory } from '../host/socket-directory';
import type { Logger } from '../log';
import type { AccessPolicy, Peer } from './access';
import { request as ask } from './client';
import type { Handlers, OpEntry } from './handlers';
import {
  MAX_CONNECTIONS,
  MAX_CONNECTIONS_PER_USER,
  MAX_PENDING_REQUESTS,
  RESERVED_CONNECTIONS,
  MAX_REQUEST_BYTES,
  PROTOCOL_VERSION,
  RequestError,
  parseRequest,
  type Reply,
  type Request,
} from './protocol';
import { loggable, RefusalLog } from './refusal-log';
import { listenWithMode, OwnedSocketFile, removeStaleSocket } from './socket-file';

/** A refused client gets this long to read why before its connection is closed. */
const REFUSAL_LINGER_MS = 1000;

/** Who is at the other end of a connection; undefined when the kernel cannot say. */
export type PeerOf = (socket: net.Socket) => Peer | undefined;

export class ControlServer {
  private server?: net.Server;
  private socketFile?: OwnedSocketFile;
  /** Every connection being served, with the peer the kernel named for it. */
  private readonly connections = new Map<net.Socket, Peer | undefined>();
  private readonly refusals: RefusalLog;

  constructor(
    private readonly config: ControlConfig,
    private readonly handlers: Handlers,
    private access: AccessPolicy,
    private readonly peerOf: PeerOf,
    private readonly log: Logger,
  ) {
    this.refusals = new RefusalLog(log);
  }

  /** Binds the socket; refuses, naming it, when another daemon serves it already. */
  async listen(): Promise<void> {
    const socketPath = this.config.socket;
    const unusable = (problem: string) =>
      new ConfigError('control.socket', [
        `${problem}; choose a control.socket in a directory the daemon may create and write`,
      ]);
    try {
      ensureSocketDirectory(path.dirname(socketPath));
    } catch (err) {
      throw unusable((err as Error).message);
    }
    await removeStaleSocket(socketPath, () => describeServer(socketPath));
    const server = net.createServer((socket) => this.admit(socket));
    // Who may connect at all is decided by the socket file's owner, group and mode: the mode from
    // its birth, the group set after (until then it is root's group). The directory is one only
    // root or the daemon's user may change, so the path stays this socket.
    await listenWithMode(server, socketPath, parseInt(this.config.mode, 8)).catch((err: NodeJS.ErrnoException) => {
      throw unusable(`cannot listen on ${socketPath} (${err.code ?? err.message})`);
    });
    // After listen, an accept that fails (out of file descriptors) is logged: an 'error' event
    // without a listener would end the process, and every VM's network with it.
    server.on('error', (err) => this.log.error({ err: err.message }, 'control socket: accept failed'));
    this.server = server;
    this.socketFile = new OwnedSocketFile(socketPath);
    if (this.config.group) fs.lchownSync(socketPath, process.getuid!(), groupId(this.config.group));
  }

  /** Who may change the daemon from now on (a reload changed control.operators). */
  setAccess(access: AccessPolicy): void {
    this.access = access;
  }

  async close(): Promise<void> {
    for (const socket of this.connections.keys()) socket.destroy();
    this.refusals.close();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.socketFile?.release();
    this.socketFile = undefined;
  }

  /** Takes a connection if the limits allow it: who the peer is decides which limit applies. */
  private admit(socket: net.Socket): void {
    socket.on('error', () => socket.destroy());
    let peer: Peer | undefined;
    try {
      peer = this.peerOf(socket);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'control: cannot tell who connected; read-only');
    }
    const mayChange = this.access.allows(peer, 'change');
    const sameUser = [...this.connections.values()].filter((other) => other?.uid === peer?.uid).length;
    const full = this.connections.size >= MAX_CONNECTIONS + (mayChange ? RESERVED_CONNECTIONS : 0);
    if (full || (!mayChange && sameUser >= MAX_CONNECTIONS_PER_USER)) {
      const why = full
        ? `too many control connections (${MAX_CONNECTIONS}); try again`
        : `too many control connections of uid ${peer?.uid} (${MAX_CONNECTIONS_PER_USER}); close some`;
      socket.end(JSON.stringify(failure(undefined, why)) + '\n');
      setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
      return;
    }
    this.connections.set(socket, peer);
    socket.on('close', () => this.connections.delete(socket));
    this.serve(socket, peer);
  }

  private serve(socket: net.Socket, peer: Peer | undefined): void {
    socket.setEncoding('utf8');
    socket.setTimeout(this.config.idleTimeoutSeconds * 1000, () => socket.destroy());

    let pending = '';
    let inFlight = 0;
    let replies = Promise.resolve();
    // Takes whole lines while the client reads its replies and has few in flight; reads more only
    // then. Whatever the client sends meanwhile waits in the kernel, not here.
    const pump = () => {
      let newline: number;
      while (inFlight < MAX_PENDING_REQUESTS && !socket.writableNeedDrain && (newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (line.length === 0) continue;
        inFlight++;
        // Replies go out in request order even when a handler is asynchronous.
        replies = replies.then(async () => {
          const reply = line.length > MAX_REQUEST_BYTES ? tooLong() : await this.answer(line, peer);
          inFlight--;
          if (socket.destroyed) return;
          socket.write(encode(reply) + '\n');
          pump();
        });
      }
      if (pending.length > MAX_REQUEST_BYTES && pending.indexOf('\n') < 0) {
        // A line that never ends: answer once and stop reading this client.
        pending = '';
        socket.removeAllListeners('data');
        socket.resume();
        replies = replies.then(() => {
          socket.end(JSON.stringify(tooLong()) + '\n');
        });
        return;
      }
      const canTakeMore = inFlight < MAX_PENDING_REQUESTS && !socket.writableNeedDrain;
      if (canTakeMore && pending.indexOf('\n') < 0) socket.resume();
      else socket.pause();
    };
    socket.on('data', (chunk: string) => {
      pending += chunk;
      pump();
    });
    socket.on('drain', pump);
  }

  private async answer(line: string, peer: Peer | undefined): Promise<Reply> {
    let request: Request | undefined;
    let entry: OpEntry<unknown> | undefined;
    try {
      request = parseRequest(line);
      const handlers: Record<string, OpEntry<unknown>> = this.handlers;
      entry = Object.hasOwn(handlers, request.op) ? handlers[request.op] : undefined;
      if (!entry) throw new RequestError(`unknown op "${request.op}"; known: ${Object.keys(handlers).join(', ')}`);
      if (!this.access.allows(peer, entry.access)) throw new RequestError(denied(request.op, peer));
      const result = await entry.run(request);
      if (entry.access === 'change')
        this.log.info({ op: request.op, args: loggable(argsOf(request)), peer }, 'control: changed');
      return { v: PROTOCOL_VERSION, id: request.id, ok: true, result };
    } catch (err) {
      const message = (err as Error).message;
      this.refusals.refused(peer, { op: request?.op, args: request && argsOf(request), error: message });
      return failure(request?.id, message);
    }
  }
}

/** A request's arguments for the log, without the protocol's own fields. */
function argsOf(request: Request): Record<string, unknown> {
  const { v: _v, id: _id, op: _op, ...args } = request;
  return args;
}

function denied(op: string, peer: Peer | undefined): string {
  const who = peer ? `uid ${peer.uid} (pid ${peer.pid})` : 'a client the kernel could not name';
  return (
    `permission denied (EPERM): "${op}" changes the daemon, and ${who} is not root, the daemon's user, ` +
    'or in control.operators'
  );
}

/** The reply as one JSON line; a result that cannot be encoded becomes an error reply. */
function encode(reply: Reply): string {
  try {
    return JSON.stringify(reply);
  } catch (err) {
    return JSON.stringify(failure(reply.id, `the reply could not be encoded: ${(err as Error).message}`));
  }
}

function tooLong(): Reply {
  return failure(undefined, `request longer than ${MAX_REQUEST_BYTES} bytes; send one JSON object per line`);
}

function failure(id: Request['id'], error: string): Reply {
  return { v: PROTOCOL_VERSION, id, ok: false, error };
}

/** Names the daemon serving a live control socket, as it describes itself. */
async function describeServer(socketPath: string): Promise<string> {
  try {
    const { pid, version, startedAtIso } = await ask(socketPath, 'identity', {}, 2000);
    return `another vhost-failover (pid ${pid}, version ${version}, started ${startedAtIso})`;
  } catch {
    return 'another process';
  }
}

function groupId(name: string): number {
  try {
    return Number(execFileSync('getent', ['group', name], { encoding: 'utf8' }).split(':')[2]);
  } catch {
    throw new Error(`control.group: no unix group "${name}"; create it or remove the setting`);
  }
}
