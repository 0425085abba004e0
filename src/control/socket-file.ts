// Unix socket files the daemon binds: a file nobody listens on is left over from a crash and may
// go; a live one belongs to someone else and is never touched. The daemon removes only the socket
// files it made itself (same inode), never one another process put at the same path since.
import fs from 'fs';
import net from 'net';

/**
 * Resolves false only when nobody listens on `socketPath` (ECONNREFUSED, or gone): any other
 * answer, a full backlog included, means a live socket that must not be touched.
 */
export function socketIsLive(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createConnection(socketPath);
    probe.once('connect', () => (probe.destroy(), resolve(true)));
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT'));
  });
}

/** Makes `socketPath` free to bind: removes a stale socket file, refuses anything else. */
export async function removeStaleSocket(socketPath: string, whoIsLive?: () => Promise<string>): Promise<void> {
  if (!fs.existsSync(socketPath)) return;
  if (!fs.statSync(socketPath).isSocket())
    throw new Error(`${socketPath} exists and is not a socket; remove it or choose another path`);
  if (await socketIsLive(socketPath)) {
    const who = whoIsLive ? await whoIsLive() : 'another process';
    throw new Error(`${who} is listening on ${socketPath}; stop it first or choose another path`);
  }
  fs.rmSync(socketPath);
}

/**
 * Listens on `socketPath`, its file born with `mode`. bind() makes the file with 0777 & ~umask, so
 * the umask is set for that one call (Node binds within listen(), before it returns); a chmod
 * afterwards would act on a path, with the socket open wider until it ran.
 */
export function listenWithMode(server: net.Server, socketPath: string, mode: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const previous = process.umask(~mode & 0o777);
    try {
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(previous);
    }
  });
}

/** A socket file this process bound: removed on release only if it is still the same file. */
export class OwnedSocketFile {
  private readonly inode: number;

  constructor(readonly path: string) {
    this.inode = fs.statSync(path).ino;
  }

  release(): void {
    try {
      if (fs.statSync(this.path).ino === this.inode) fs.rmSync(this.path);
    } catch {
      // already gone
    }
  }
}
