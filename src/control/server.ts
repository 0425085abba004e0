// Unix-socket server for the JSON-lines control protocol. A bad request gets an error reply;
// nothing a client sends can stop the daemon or its forwarding.
import fs from 'fs';
import net from 'net';
import path from 'path';
import { execFileSync } from 'child_process';
import type { ControlConfig } from '../config';
import type { Logger } from '../log';
import type { Handler, Handlers } from './handlers';
import { MAX_REQUEST_BYTES, PROTOCOL_VERSION, RequestError, parseRequest, type Reply, type Request } from './protocol';

export class ControlServer {
  private server?: net.Server;
  private readonly connections = new Set<net.Socket>();

  private readonly socketPath: string;

  constructor(
    private readonly config: ControlConfig,
    private readonly handlers: Handlers,
    private readonly log: Logger,
  ) {
    this.socketPath = config.socket;
  }

  async listen(): Promise<void> {
    fs.mkdirSync(path.dirname(this.socketPath), { recursive: true });
    await removeStaleSocket(this.socketPath);
    const server = net.createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => resolve());
    });
    // Who may connect is decided by the socket file's owner, group and mode.
    fs.chmodSync(this.socketPath, parseInt(this.config.mode, 8));
    if (this.config.group) fs.chownSync(this.socketPath, process.getuid!(), groupId(this.config.group));
    this.server = server;
  }

  async close(): Promise<void> {
    for (const socket of this.connections) socket.destroy();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    fs.rmSync(this.socketPath, { force: true });
  }

  private serve(socket: net.Socket): void {
    this.connections.add(socket);
    socket.on('close', () => this.connections.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = '';
    let replies = Promise.resolve();
    socket.on('data', (chunk) => {
      pending += chunk.toString('utf8');
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        // Replies go out in request order even when a handler is asynchronous.
        if (line.length === 0) continue;
        replies = replies.then(async () => {
          const reply = line.length > MAX_REQUEST_BYTES ? tooLong() : await this.answer(line);
          if (!socket.destroyed) socket.write(JSON.stringify(reply) + '\n');
        });
      }
      if (pending.length > MAX_REQUEST_BYTES) {
        // A line that never ends: answer once and stop reading this client.
        pending = '';
        socket.removeAllListeners('data');
        socket.resume();
        replies = replies.then(() => {
          socket.end(JSON.stringify(tooLong()) + '\n');
        });
      }
    });
  }

  private async answer(line: string): Promise<Reply> {
    let request: Request | undefined;
    try {
      request = parseRequest(line);
      const handlers: Record<string, Handler<unknown>> = this.handlers;
      const handler = Object.hasOwn(handlers, request.op) ? handlers[request.op] : undefined;
      if (!handler)
        throw new RequestError(`unknown op "${request.op}"; known: ${Object.keys(this.handlers).join(', ')}`);
      return { v: PROTOCOL_VERSION, id: request.id, ok: true, result: await handler(request) };
    } catch (err) {
      const message = (err as Error).message;
      this.log.warn({ op: request?.op, error: message }, 'control request refused');
      return failure(request?.id, message);
    }
  }
}

function tooLong(): Reply {
  return failure(undefined, `request longer than ${MAX_REQUEST_BYTES} bytes; send one JSON object per line`);
}

function failure(id: Request['id'], error: string): Reply {
  return { v: PROTOCOL_VERSION, id, ok: false, error };
}

/** A socket file nobody listens on is left over from a crash; a live one is another daemon's. */
export async function removeStaleSocket(socketPath: string): Promise<void> {
  if (!fs.existsSync(socketPath)) return;
  if (!fs.statSync(socketPath).isSocket())
    throw new Error(`${socketPath} exists and is not a socket; remove it or choose another path`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.createConnection(socketPath);
    probe.once('connect', () => (probe.destroy(), resolve(true)));
    probe.once('error', () => resolve(false));
  });
  if (live) throw new Error(`another process is listening on ${socketPath}; stop it or choose another path`);
  fs.rmSync(socketPath);
}

function groupId(name: string): number {
  try {
    return Number(execFileSync('getent', ['group', name], { encoding: 'utf8' }).split(':')[2]);
  } catch {
    throw new Error(`control.group: no unix group "${name}"; create it or remove the setting`);
  }
}
