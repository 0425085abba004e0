// A minimal QMP (QEMU Machine Protocol) client: JSON objects over QEMU's unix socket, one per
// line. After QEMU's greeting and `qmp_capabilities`, every command gets one reply (`return` or
// `error`) carrying our id; events arrive in between at any time.
import { EventEmitter } from 'events';
import net from 'net';

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export interface QmpClientEvents {
  event: [QmpEvent];
  close: [];
}

export class QmpClient extends EventEmitter<QmpClientEvents> {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private buffered = '';
  private greeted?: () => void;

  private constructor(private readonly socket: net.Socket) {
    super();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('close', () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error('QMP connection closed'));
      this.pending.clear();
      this.emit('close');
    });
    socket.on('error', () => socket.destroy()); // 'close' follows and reports it
  }

  /** Connects, waits for QEMU's greeting and leaves capabilities negotiation mode. */
  static async connect(socketPath: string, timeoutMs = 5000): Promise<QmpClient> {
    const socket = net.createConnection(socketPath);
    const client = new QmpClient(socket);
    const greeting = new Promise<void>((resolve) => (client.greeted = resolve));
    const failed = new Promise<never>((_, reject) => {
      socket.once('error', reject);
      socket.once('close', () => reject(new Error(`QMP socket ${socketPath} closed before QEMU's greeting`)));
    });
    const timer = setTimeout(
      () => socket.destroy(new Error(`no QMP greeting on ${socketPath} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      await Promise.race([greeting, failed]);
      await Promise.race([client.execute('qmp_capabilities'), failed]);
    } finally {
      clearTimeout(timer);
    }
    return client;
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.socket.write(JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id }) + '\n');
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let newline;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, newline).trim();
      this.buffered = this.buffered.slice(newline + 1);
      if (line) this.dispatch(line);
    }
  }

  private dispatch(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // not QMP: ignore rather than kill the connection
    }
    if ('QMP' in message) {
      this.greeted?.();
    } else if (typeof message.event === 'string') {
      this.emit('event', message as unknown as QmpEvent);
    } else if (typeof message.id === 'number' && this.pending.has(message.id)) {
      const waiter = this.pending.get(message.id)!;
      this.pending.delete(message.id);
      const error = message.error as { class?: string; desc?: string } | undefined;
      if (error) waiter.reject(new Error(`QEMU refused: ${error.desc ?? error.class ?? 'unknown error'}`));
      else waiter.resolve(message.return);
    }
  }
}
