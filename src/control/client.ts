// Client side of the control protocol: one request, one reply.
import net from 'net';
import { PROTOCOL_VERSION, type Op, type OpReplies, type Reply } from './protocol';

/** The daemon answered, and refused. */
export class ControlError extends Error {}
/** No daemon answered on the socket. */
export class ControlUnreachable extends Error {}

/** One request; resolves with the op's result, rejects with ControlError or ControlUnreachable. */
export async function request<O extends Op>(
  socketPath: string,
  op: O,
  args: Record<string, unknown> = {},
  timeoutMs = 5000,
): Promise<OpReplies[O]> {
  const reply = await exchange(socketPath, JSON.stringify({ v: PROTOCOL_VERSION, id: 1, op, ...args }), timeoutMs);
  if (!reply.ok) throw new ControlError(reply.error);
  return reply.result as OpReplies[O];
}

/** Sends one raw line and returns the daemon's parsed reply (tests use it for malformed input). */
export function exchange(socketPath: string, line: string, timeoutMs = 5000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ControlUnreachable(`no reply from ${socketPath} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(line + '\n'));
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
      const newline = received.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      socket.end();
      try {
        resolve(JSON.parse(received.slice(0, newline)) as Reply);
      } catch {
        reject(new ControlUnreachable(`${socketPath} answered, but not with the control protocol`));
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(new ControlUnreachable(`cannot reach the daemon at ${socketPath}: ${err.message}; is it running?`));
    });
  });
}
