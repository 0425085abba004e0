// A TCP stream of random bytes to the guest at a steady rate, from inside the test's namespace,
// until it is told to stop: the network's side of a live migration's data-integrity check.
//
// As a program (`ip netns exec NS node stream-sender.js HOST PORT BYTES_PER_S`) it retries the
// connection until the guest listens, sends until SIGTERM, then ends the stream and prints
// `md5=HEX bytes=N` (or `error=...`). StreamSender runs it and reads that line.
import { spawn } from 'child_process';
import crypto from 'crypto';
import net from 'net';
import { CollectedProcess } from './collected-process';

const CHUNK_BYTES = 16 * 1024;
const CONNECT_TIMEOUT_MS = 60000;

export class StreamSender {
  private constructor(private readonly sender: CollectedProcess) {}

  static start(netns: string, host: string, port: number, bytesPerS: number): StreamSender {
    // `ip netns exec` runs node in its own place: the child's pid is the sender's.
    const args = ['netns', 'exec', netns, process.execPath, __filename, host, String(port), String(bytesPerS)];
    return new StreamSender(new CollectedProcess(spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] })));
  }

  /** Ends the stream; resolves with what was sent once the sender has closed it. */
  async stop(): Promise<{ md5: string; bytes: number }> {
    await this.sender.stop('SIGTERM', 30000, 'the stream sender');
    const sent = /md5=([0-9a-f]{32}) bytes=(\d+)/.exec(this.sender.output);
    if (!sent) throw new Error(`the stream sender failed: ${this.sender.output.trim()}`);
    return { md5: sent[1], bytes: Number(sent[2]) };
  }
}

function connect(host: string, port: number, deadline: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ host, port });
    const retry = (err: Error) => {
      socket.destroy();
      if (Date.now() > deadline) return reject(err);
      setTimeout(() => connect(host, port, deadline).then(resolve, reject), 200);
    };
    socket.once('error', retry);
    socket.once('connect', () => {
      socket.off('error', retry);
      resolve(socket);
    });
  });
}

async function send(host: string, port: number, bytesPerS: number): Promise<void> {
  let stopping = false;
  process.on('SIGTERM', () => (stopping = true));
  const socket = await connect(host, port, Date.now() + CONNECT_TIMEOUT_MS);
  const failed = new Promise<never>((_, reject) => {
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('the guest closed the stream')));
  });
  failed.catch(() => {}); // raced below; settles also after a clean end
  const md5 = crypto.createHash('md5');
  const startedAt = Date.now();
  let sent = 0;
  while (!stopping) {
    const chunk = crypto.randomBytes(CHUNK_BYTES);
    md5.update(chunk);
    sent += chunk.length;
    if (!socket.write(chunk)) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), failed]);
    // Paced: ahead of the rate, wait until the clock catches up.
    const aheadMs = (sent / bytesPerS) * 1000 - (Date.now() - startedAt);
    if (aheadMs > 0) await Promise.race([new Promise((resolve) => setTimeout(resolve, aheadMs)), failed]);
  }
  // Every byte handed to the kernel; the guest sees the end once TCP has delivered them all.
  await Promise.race([new Promise<void>((resolve) => socket.end(resolve)), failed]);
  console.log(`md5=${md5.digest('hex')} bytes=${sent}`);
}

if (require.main === module) {
  const [host, port, rate] = process.argv.slice(2);
  send(host, Number(port), Number(rate)).then(
    () => process.exit(0),
    (err: Error) => {
      console.log(`error=${err.message}`);
      process.exit(1);
    },
  );
}
