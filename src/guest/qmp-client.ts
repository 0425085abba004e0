// A minimal QMP (QEMU Machine Protocol) client: JSON objects over QEMU's unix socket, one per
// line. After QEMU's greeting and `qmp_capabilities`, every command gets one reply (`return` or
// `error`) carrying our id; events arrive in between at any time.
//
// QEMU is not trusted: a line that is not a JSON object, a line over MAX_LINE_BYTES, a command
// not answered within the timeout, or a listener that throws ends the connection (never the
// process) with the reason, which the owner logs before it reconnects.
import { EventEmitter } from 'events';
import net from 'net';
import { CONTROL_CHARACTER_RULE, controlCharacterAt, escapeControlCharacters } from '../config/control-characters';

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  /** When QEMU says it happened (its wall clock, ms since the epoch), if it said so. */
  atMs?: number;
}

function eventTime(timestamp: unknown): number | undefined {
  if (!isObject(timestamp)) return undefined;
  const { seconds, microseconds } = timestamp;
  if (typeof seconds !== 'number' || typeof microseconds !== 'number') return undefined;
  return seconds * 1000 + microseconds / 1000;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export interface QmpClientEvents {
  event: [QmpEvent];
  /** The connection ended; `reason` says why when it was not QEMU closing it. */
  close: [reason: string | undefined];
}

/** QEMU's replies here are a few KiB (a NIC's filter tables); far more is not QEMU talking. */
export const MAX_LINE_BYTES = 1024 * 1024;
export const COMMAND_TIMEOUT_MS = 5000;

/** QMP's handshake failed; `afterConnect`: QEMU's socket answered, then misbehaved. */
export class QmpConnectError extends Error {
  constructor(
    message: string,
    readonly afterConnect: boolean,
  ) {
    super(message);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class QmpClient extends EventEmitter<QmpClientEvents> {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private buffered = '';
  private greeted?: () => void;
  private failure?: string;
  // Once the socket closed, a command could never be answered, nor time out: destroying a
  // destroyed socket emits no second 'close' to reject it with.
  private closed = false;

  private constructor(
    private readonly socket: net.Socket,
    private readonly commandTimeoutMs: number,
  ) {
    super();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('close', () => {
      this.closed = true;
      const why = this.failure ?? 'QMP connection closed';
      for (const waiter of this.pending.values()) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error(why));
      }
      this.pending.clear();
      this.emit('close', this.failure);
    });
    socket.on('error', (err) => this.reset(err.message)); // 'close' follows and reports it
  }

  /** Connects, waits for QEMU's greeting and leaves capabilities negotiation mode. */
  static async connect(
    socketPath: string,
    timeoutMs = 5000,
    commandTimeoutMs = COMMAND_TIMEOUT_MS,
  ): Promise<QmpClient> {
    const socket = net.createConnection(socketPath);
    let connected = false;
    socket.once('connect', () => (connected = true));
    const client = new QmpClient(socket, commandTimeoutMs);
    const greeting = new Promise<void>((resolve) => (client.greeted = resolve));
    const failed = new Promise<never>((_, reject) => {
      client.once('close', (reason) =>
        reject(new Error(reason ?? `QMP socket ${socketPath} closed before QEMU's greeting`)),
      );
    });
    failed.catch(() => {}); // settles also when the connection ends long after connecting
    const timer = setTimeout(() => client.reset(`no QMP greeting on ${socketPath} within ${timeoutMs} ms`), timeoutMs);
    try {
      await Promise.race([greeting, failed]);
      await Promise.race([client.execute('qmp_capabilities'), failed]);
    } catch (err) {
      throw new QmpConnectError((err as Error).message, connected);
    } finally {
      clearTimeout(timer);
    }
    return client;
  }

  /** One command; rejects on QEMU's error, on the timeout (and then resets the connection). */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closed) return Promise.reject(new Error(this.failure ?? 'QMP connection closed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => this.reset(`QEMU did not answer ${command} within ${this.commandTimeoutMs} ms`),
        this.commandTimeoutMs,
      );
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.socket.write(JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id }) + '\n');
    });
  }

  close(): void {
    this.socket.destroy();
  }

  /** Ends the connection because QEMU misbehaved; `close` reports the reason. */
  reset(reason: string): void {
    this.failure ??= reason;
    this.socket.destroy();
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let newline;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, newline).trim();
      this.buffered = this.buffered.slice(newline + 1);
      if (line.length > MAX_LINE_BYTES) return this.reset(`QEMU sent a line longer than ${MAX_LINE_BYTES} bytes`);
      if (!line) continue;
      try {
        this.dispatch(line);
      } catch (err) {
        return this.reset(`handling a QMP message failed: ${(err as Error).message}`);
      }
      if (this.socket.destroyed) return;
    }
    if (this.buffered.length > MAX_LINE_BYTES) this.reset(`QEMU sent a line longer than ${MAX_LINE_BYTES} bytes`);
  }

  private dispatch(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      return this.reset(`QEMU sent a line that is not JSON: ${escapeControlCharacters(line.slice(0, 80))}`);
    }
    if (!isObject(message))
      return this.reset(
        `QEMU sent ${escapeControlCharacters(JSON.stringify(message).slice(0, 80))}, not a JSON object`,
      );
    // QEMU's own messages never hold one; a peer that sends one is not QEMU talking.
    const at = controlCharacterAt(message);
    if (at !== undefined)
      return this.reset(
        `QEMU sent a message whose "${at}" holds a control character (QMP strings have ${CONTROL_CHARACTER_RULE})`,
      );
    if ('QMP' in message) {
      this.greeted?.();
    } else if (typeof message.event === 'string') {
      const data = isObject(message.data) ? message.data : undefined;
      this.emit('event', { event: message.event, data, atMs: eventTime(message.timestamp) });
    } else if (typeof message.id === 'number' && this.pending.has(message.id)) {
      const waiter = this.pending.get(message.id)!;
      this.pending.delete(message.id);
      clearTimeout(waiter.timer);
      const error = message.error;
      if (error !== undefined) {
        const desc = isObject(error) && typeof error.desc === 'string' ? error.desc : JSON.stringify(error);
        waiter.reject(new Error(`QEMU refused: ${desc.slice(0, 200)}`));
      } else waiter.resolve(message.return);
    }
  }
}
