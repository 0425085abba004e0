// pino logger: JSON lines for machines, colourised lines when a person is watching a terminal.
import pino, { type Logger, type Level } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export function createLogger(level: Level, pretty_: boolean = process.stdout.isTTY === true): Logger {
  const options = { name: 'vhost-failover', level };
  if (!pretty_) return pino(options);
  return pino(options, pretty({ sync: true, colorize: true, translateTime: 'HH:MM:ss.l' }));
}
