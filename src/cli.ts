#!/usr/bin/env node
// Command line: thin shells over library functions (Daemon, control client).
import { Command, Option } from 'commander';
import { loadConfigFile } from './config';
import { request } from './control/client';
import { Daemon } from './daemon';
import { createLogger } from './log';

const DEFAULT_CONTROL_SOCKET = '/run/vhost-failover/control.sock';

async function run(configPath: string): Promise<void> {
  const config = loadConfigFile(configPath);
  const log = createLogger(config.log.level);
  const daemon = new Daemon(config, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    daemon.stop().then(
      () => process.exit(0),
      (err: Error) => {
        log.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  await daemon.start();
}

function socketOption(): Option {
  return new Option('-s, --socket <path>', 'control socket of the running daemon').default(DEFAULT_CONTROL_SOCKET);
}

async function show(op: string, socket: string, json: boolean, args: Record<string, unknown> = {}): Promise<void> {
  const result = await request(socket, op, args);
  process.stdout.write(json ? JSON.stringify(result) + '\n' : JSON.stringify(result, null, 2) + '\n');
}

const program = new Command('vhost-failover')
  .description('vhost-user backend that fails a VM over between a primary (VF) and a standby path')
  .showHelpAfterError();

program
  .command('run')
  .description('start the daemon in the foreground (stop it with Ctrl-C or SIGTERM)')
  .requiredOption('-c, --config <file>', 'configuration file (YAML or JSON), see config/demo.yaml')
  .action((opts: { config: string }) => run(opts.config));

program
  .command('status')
  .description("each group's guest, paths, link states and active path")
  .addOption(socketOption())
  .option('--json', 'print JSON on one line')
  .action((opts: { socket: string; json?: boolean }) => show('status', opts.socket, opts.json === true));

program
  .command('stats')
  .description('packet counters per group and path, and mbufs in use')
  .addOption(socketOption())
  .option('-g, --group <name>', 'only this group')
  .option('--json', 'print JSON on one line')
  .action((opts: { socket: string; group?: string; json?: boolean }) =>
    show('stats', opts.socket, opts.json === true, opts.group ? { group: opts.group } : {}),
  );

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`vhost-failover: ${err.message}\n`);
  process.exit(1);
});
