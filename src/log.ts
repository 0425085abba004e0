// pino logger: JSON lines for machines, colourised lines when a person is watching a terminal, and
// under systemd each JSON line led by its syslog priority (<3> for an error), which journald takes
// as the entry's priority, so that `journalctl -p err` finds the daemon's errors.
import fs from 'fs';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/** pino's numeric levels to syslog priorities (sd-daemon(3)): trace and debug 7, info 6, warn 4, error 3, fatal 2. */
export function syslogPriority(pinoLevel: number): number {
  if (pinoLevel >= 60) return 2;
  if (pinoLevel >= 50) return 3;
  if (pinoLevel >= 40) return 4;
  if (pinoLevel >= 30) return 6;
  return 7;
}

/** Each line to `write` led by its priority prefix, read from the line's own "level". */
export function journalDestination(write: (line: string) => void): DestinationStream {
  return {
    write(line: string) {
      const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? 30);
      write(`<${syslogPriority(level)}>${line}`);
    },
  };
}

/**
 * Whether standard output is journald's stream: systemd sets JOURNAL_STREAM to its device and
 * inode (systemd.exec(5)); a child of the service that writes elsewhere must not prefix.
 */
export function stdoutIsJournal(env: NodeJS.ProcessEnv = process.env): boolean {
  const journal = env.JOURNAL_STREAM;
  if (!journal) return false;
  try {
    const { dev, ino } = fs.fstatSync(1);
    return journal === `${dev}:${ino}`;
  } catch {
    return false;
  }
}

export function createLogger(level: Level, pretty_: boolean = process.stdout.isTTY === true): Logger {
  const options = { name: 'vhost-failover', level };
  if (pretty_) return pino(options, pretty({ sync: true, colorize: true, translateTime: 'HH:MM:ss.l' }));
  if (stdoutIsJournal()) {
    // As pino's own default: synchronous writes to fd 1, so that the last lines before an exit arrive.
    const stdout = pino.destination({ dest: 1, sync: true });
    return pino(
      options,
      journalDestination((line) => stdout.write(line)),
    );
  }
  return pino(options);
}
