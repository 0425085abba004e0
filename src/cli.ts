#!/usr/bin/env node
// Command line: thin shells over library functions (Daemon, control client, formatters).
// Exit codes: 0 done, 1 the daemon refused the request, 2 wrong usage, 3 daemon unreachable.
import { Command, Option } from 'commander';
import fs from 'fs';
import YAML from 'yaml';
import { DEFAULT_CONTROL_SOCKET, LOG_LEVELS, loadConfigFile } from './config';
import { ControlUnreachable, request } from './control/client';
import type { Op, StatsReply } from './control/protocol';
import { formatStats, formatStatus, type Rates } from './cli/format';
import { Daemon } from './daemon';
import { createLogger } from './log';

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

interface ReadOptions {
  socket: string;
  json?: boolean;
  group?: string;
}

const print = (text: string) => process.stdout.write(text);
const groupArg = (opts: ReadOptions) => (opts.group ? { group: opts.group } : {});

async function status(opts: ReadOptions): Promise<void> {
  const groups = await request(opts.socket, 'status', groupArg(opts));
  print(opts.json ? JSON.stringify(groups) + '\n' : formatStatus(groups));
}

async function stats(opts: ReadOptions & { watch?: boolean }): Promise<void> {
  if (!opts.watch) {
    const reply = await request(opts.socket, 'stats', groupArg(opts));
    print(opts.json ? JSON.stringify(reply) + '\n' : formatStats(reply));
    return;
  }
  let previous: { at: number; reply: StatsReply } | undefined;
  for (;;) {
    const reply = await request(opts.socket, 'stats', groupArg(opts));
    const active = await request(opts.socket, 'status', groupArg(opts));
    const now = Date.now();
    const rates: Rates = {};
    if (previous) {
      const seconds = (now - previous.at) / 1000;
      for (const [name, group] of Object.entries(reply.groups)) {
        const before = previous.reply.groups[name];
        if (!before) continue;
        const rate = (after: number, then: number) => (after - then) / seconds;
        rates[name] = {
          txPps: {
            primary: rate(group.txPackets.primary, before.txPackets.primary),
            standby: rate(group.txPackets.standby, before.txPackets.standby),
          },
          rxPps: {
            primary: rate(group.rxPackets.primary, before.rxPackets.primary),
            standby: rate(group.rxPackets.standby, before.rxPackets.standby),
          },
        };
      }
    }
    previous = { at: now, reply };
    const paths = active.map((group) => `${group.name}: ${group.activePath}`).join('   ');
    print(
      opts.json
        ? JSON.stringify({ reply, rates }) + '\n'
        : `\x1b[2J\x1b[H${new Date().toISOString()}   active: ${paths}\n\n${formatStats(reply, rates)}\n(Ctrl-C to stop)\n`,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function act(socket: string, op: Op, args: Record<string, unknown>): Promise<void> {
  print(JSON.stringify(await request(socket, op, args)) + '\n');
}

function socketOption(): Option {
  return new Option('-s, --socket <path>', 'control socket of the running daemon').default(DEFAULT_CONTROL_SOCKET);
}

function readCommand(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .addOption(socketOption())
    .option('-g, --group <name>', 'only this group')
    .option('--json', 'print the reply as JSON on one line');
}

const program = new Command('vhost-failover')
  .description('vhost-user backend that fails a VM over between a primary (VF) and a standby path')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

program
  .command('run')
  .description('start the daemon in the foreground (stop it with Ctrl-C or SIGTERM)')
  .requiredOption('-c, --config <file>', 'configuration file (YAML or JSON), see config/demo.yaml')
  .action((opts: { config: string }) => run(opts.config));

readCommand(program, 'status', "each group's guest, uplinks, active path, since when and why").action(status);
readCommand(program, 'stats', 'packet, byte and drop counters per group and path')
  .option('-w, --watch', 'refresh every second with rates, until Ctrl-C')
  .action(stats);

program
  .command('groups')
  .description('names of the running groups, one per line')
  .addOption(socketOption())
  .option('--json', 'print the reply as JSON on one line')
  .action(async (opts: { socket: string; json?: boolean }) => {
    const names = await request(opts.socket, 'groups');
    print(opts.json ? JSON.stringify(names) + '\n' : names.map((name) => name + '\n').join(''));
  });

program
  .command('switch')
  .description(
    'primary: use the primary now (skips failback delay and flap hold); standby: keep off the primary; auto: let the policy decide',
  )
  .argument('<group>', 'group name')
  .argument('<to>', 'primary | standby | auto')
  .addOption(socketOption())
  .action((group: string, to: string, opts: { socket: string }) => act(opts.socket, 'switch', { group, to }));

program
  .command('detach')
  .description(
    "take the group's primary away without losing a frame: traffic moves to the standby first, then the port is stopped, closed and unplugged",
  )
  .argument('<group>', 'group name')
  .addOption(socketOption())
  .action((group: string, opts: { socket: string }) => act(opts.socket, 'detach', { group }));

program
  .command('attach')
  .description(
    'give the group a new primary (PCI address or vdev); traffic returns to it as the failover policy decides',
  )
  .argument('<group>', 'group name')
  .argument('<devargs>', 'DPDK device, e.g. 0000:3b:02.1')
  .addOption(socketOption())
  .action((group: string, devargs: string, opts: { socket: string }) => act(opts.socket, 'attach', { group, devargs }));

program
  .command('add-group')
  .description("start a group from a YAML or JSON file holding one entry of the config file's groups list")
  .argument('<file>', 'group file')
  .addOption(socketOption())
  .action((file: string, opts: { socket: string }) =>
    act(opts.socket, 'add-group', { config: YAML.parse(fs.readFileSync(file, 'utf8')) }),
  );

program
  .command('remove-group')
  .description('stop a group: its vhost-user port and uplinks are closed, other groups keep forwarding')
  .argument('<group>', 'group name')
  .addOption(socketOption())
  .action((group: string, opts: { socket: string }) => act(opts.socket, 'remove-group', { group }));

program
  .command('set-log-level')
  .description("change the daemon's log level while it runs")
  .argument('<level>', LOG_LEVELS.join(' | '))
  .addOption(socketOption())
  .action((level: string, opts: { socket: string }) => act(opts.socket, 'set-log-level', { level }));

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`vhost-failover: ${err.message}\n`);
  process.exit(err instanceof ControlUnreachable ? 3 : 1);
});
