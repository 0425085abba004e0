// The command line, one commander program: each command a thin shell over a library function
// (the daemon, the control client, the formatters, the config loader). src/cli.ts runs it; the
// man page is rendered from it (man-page.ts), so the two never disagree.
import { Command, Option } from 'commander';
import fs from 'fs';
import YAML from 'yaml';
import { DEFAULT_CONTROL_SOCKET, LOG_LEVELS, loadConfigFile, type Config } from '../config';
import { request } from '../control/client';
import type { Op } from '../control/protocol';
import { applyPlan, configuredVfs, describePlan, planVfPreparation } from '../host/prepare-vf';
import { identityLine, versionText } from './build-text';
import { formatStats, formatStatus } from './format';
import { formatCapture } from './format-capture';
import { formatPortXstats, formatWorkerStats } from './format-workers';
import { runDaemon } from './run-daemon';
import { watchStats } from './watch-stats';

/** The environment variable that names the control socket when --socket is not given. */
export const SOCKET_ENV = 'VHOST_FAILOVER_SOCKET';

interface SocketOptions {
  socket: string;
}
interface ReadOptions extends SocketOptions {
  json?: boolean;
  group?: string;
}

const print = (text: string) => process.stdout.write(text);

function findGroup(config: Config, name: string) {
  const group = config.groups.find((g) => g.name === name);
  if (!group)
    throw new Error(`no group "${name}" in the config; groups: ${config.groups.map((g) => g.name).join(', ')}`);
  return group;
}
const groupArg = (opts: ReadOptions) => (opts.group ? { group: opts.group } : {});

async function act(socket: string, op: Op, args: Record<string, unknown> = {}): Promise<void> {
  print(JSON.stringify(await request(socket, op, args)) + '\n');
}

function socketOption(): Option {
  return new Option('-s, --socket <path>', `control socket of the running daemon (or $${SOCKET_ENV})`).default(
    process.env[SOCKET_ENV] || DEFAULT_CONTROL_SOCKET,
  );
}

function readCommand(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .addOption(socketOption())
    .option('-g, --group <name>', 'only this group')
    .option('--json', 'print the reply as JSON on one line');
}

/** A command that sends one changing request and prints the reply. */
function changeCommand(program: Command, name: string, description: string): Command {
  return program.command(name).description(description).addOption(socketOption());
}

export function buildProgram(): Command {
  const program = new Command('vhost-failover')
    .description('vhost-user backend that fails a VM over between a primary (VF) and a standby path')
    .option('-V, --version', 'print the version, the DPDK it runs on and was compiled with, and exit')
    .on('option:version', () => {
      print(versionText());
      process.exit(0);
    })
    .showHelpAfterError()
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

  program
    .command('run')
    .description('start the daemon in the foreground (SIGTERM or Ctrl-C stops it, SIGHUP reloads the config)')
    .requiredOption('-c, --config <file>', 'configuration file (YAML or JSON), see config/example.yaml')
    .action((opts: { config: string }) => runDaemon(opts.config));

  program
    .command('check-config')
    .description('validate a configuration file without starting anything; the messages are those of run')
    .argument('<file>', 'configuration file (YAML or JSON)')
    .action((file: string) => {
      const config = loadConfigFile(file);
      print(`${file}: valid; ${config.groups.length} group(s): ${config.groups.map((g) => g.name).join(', ')}\n`);
    });

  readCommand(program, 'status', "each group's guest, uplinks, active path, since when and why").action(
    async (opts: ReadOptions) => {
      const groups = await request(opts.socket, 'status', groupArg(opts));
      if (opts.json) {
        print(JSON.stringify(groups) + '\n');
        return;
      }
      if (opts.group) {
        print(formatStatus(groups));
        return;
      }
      const identity = await request(opts.socket, 'identity');
      print(identityLine(identity) + formatStatus(groups, await request(opts.socket, 'health')));
    },
  );
  readCommand(program, 'stats', 'packet, byte and drop counters per group and path')
    .option('-w, --watch', 'refresh every second with rates, until Ctrl-C')
    .action(async (opts: ReadOptions & { watch?: boolean }) => {
      if (opts.watch) await watchStats(opts.socket, groupArg(opts), opts.json === true);
      const reply = await request(opts.socket, 'stats', groupArg(opts));
      print(opts.json ? JSON.stringify(reply) + '\n' : formatStats(reply));
    });

  program
    .command('worker-stats')
    .description(
      "each worker lcore's busy, idle-polling and asleep share of its time, frames, cycles per frame, and the group queues it polls",
    )
    .addOption(socketOption())
    .option('--json', 'print the reply as JSON on one line')
    .action(async (opts: { socket: string; json?: boolean }) => {
      const reply = await request(opts.socket, 'worker-stats');
      print(opts.json ? JSON.stringify(reply) + '\n' : formatWorkerStats(reply));
    });

  program
    .command('port-xstats')
    .description("a port's extended counters (rte_eth_xstats) by its driver's names, read now")
    .argument('<group>', 'group name')
    .argument('[port]', 'primary | standby | vhost', 'primary')
    .addOption(socketOption())
    .option('--json', 'print the reply as JSON on one line')
    .action(async (group: string, port: string, opts: { socket: string; json?: boolean }) => {
      const reply = await request(opts.socket, 'port-xstats', { group, port });
      print(opts.json ? JSON.stringify(reply) + '\n' : formatPortXstats(reply));
    });

  changeCommand(
    program,
    'capture',
    "mirrors a group's frames (the guest's and both uplinks' as received) to a pcap file in the daemon's capture " +
      'directory (captures/ beside the control socket) for a bounded time and size; waits for the end and prints the file',
  )
    .argument('<group>', 'group name')
    .option('--seconds <n>', 'how long (1-3600)', Number, 10)
    .option('--max-bytes <n>', "the file's largest size, its header included", Number, 10 * 1024 * 1024)
    .option('--snaplen <n>', 'bytes kept of each frame (14-65535)', Number, 65535)
    .option('--json', 'print the final report as JSON on one line')
    .action(
      async (
        group: string,
        opts: SocketOptions & { seconds: number; maxBytes: number; snaplen: number; json?: boolean },
      ) => {
        const { seconds, maxBytes, snaplen } = opts;
        let report = await request(opts.socket, 'capture', { group, seconds, maxBytes, snaplen });
        while (report.running) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          report = (await request(opts.socket, 'capture-status', { group })) ?? {
            ...report,
            running: false,
            ended: 'group removed',
          };
        }
        print(opts.json ? JSON.stringify(report) + '\n' : formatCapture(group, report));
      },
    );

  program
    .command('groups')
    .description('names of the running groups, one per line')
    .addOption(socketOption())
    .option('--json', 'print the reply as JSON on one line')
    .action(async (opts: { socket: string; json?: boolean }) => {
      const names = await request(opts.socket, 'groups');
      print(opts.json ? JSON.stringify(names) + '\n' : names.map((name) => name + '\n').join(''));
    });

  changeCommand(
    program,
    'switch',
    'primary: use the primary now (skips failback delay and flap hold); standby: keep off the primary; auto: let the policy decide',
  )
    .argument('<group>', 'group name')
    .argument('<to>', 'primary | standby | auto')
    .action((group: string, to: string, opts: SocketOptions) => act(opts.socket, 'switch', { group, to }));

  changeCommand(
    program,
    'detach',
    "take the group's primary away without losing a frame: traffic moves to the standby first, then the port is stopped, closed and unplugged",
  )
    .argument('<group>', 'group name')
    .action((group: string, opts: SocketOptions) => act(opts.socket, 'detach', { group }));

  changeCommand(
    program,
    'attach',
    'give the group a new primary (PCI address or vdev); traffic returns to it as the failover policy decides',
  )
    .argument('<group>', 'group name')
    .argument('<devargs>', 'DPDK device, e.g. 0000:3b:02.1')
    .action((group: string, devargs: string, opts: SocketOptions) => act(opts.socket, 'attach', { group, devargs }));

  changeCommand(
    program,
    'add-group',
    "start a group from a YAML or JSON file holding one entry of the config file's groups list",
  )
    .argument('<file>', 'group file')
    .action((file: string, opts: SocketOptions) =>
      act(opts.socket, 'add-group', { config: YAML.parse(fs.readFileSync(file, 'utf8')) }),
    );

  changeCommand(
    program,
    'remove-group',
    'stop a group: its vhost-user port and uplinks are closed, other groups keep forwarding',
  )
    .argument('<group>', 'group name')
    .action((group: string, opts: SocketOptions) => act(opts.socket, 'remove-group', { group }));

  changeCommand(
    program,
    'reload',
    'apply the changed configuration file: groups added, removed or changed, policy and announce settings; ' +
      'untouched groups keep forwarding; a file that fails validation changes nothing',
  ).action((opts: SocketOptions) => act(opts.socket, 'reload'));

  program
    .command('prepare-vf')
    .description(
      "ready an SR-IOV VF to be a group's primary: its MAC, trust and spoof check set through the PF, bound to " +
        'vfio-pci; --dry-run prints the commands instead',
    )
    .argument('[address]', 'PCI address of the VF, e.g. 0000:3b:02.1 (or take it from --config and --group)')
    .option('--mac <mac>', "the guest's MAC (or take it from --config and --group)")
    .option(
      '-c, --config <file>',
      'configuration file: with --group, that group; alone, every group whose primary is a VF',
    )
    .option('-g, --group <name>', 'the group whose primary and MAC to use')
    .option('--trust', "let the PF trust the VF (all-multicast for the guest's receive filter on i40e and ice PFs)")
    .option('--dry-run', 'print what would be done, change nothing')
    .action(
      (
        address: string | undefined,
        opts: { mac?: string; config?: string; group?: string; trust?: boolean; dryRun?: boolean },
      ) => {
        const config = opts.config ? loadConfigFile(opts.config) : undefined;
        const group = config && opts.group ? findGroup(config, opts.group) : undefined;
        const vf = address ?? group?.primary.devargs;
        const mac = opts.mac ?? group?.mac;
        const one = vf !== undefined || mac !== undefined;
        const vfs = one ? (vf && mac ? [{ address: vf, mac }] : []) : config ? configuredVfs(config) : [];
        if (!vfs.length)
          throw new Error(
            'prepare-vf needs a VF address and a MAC, --config FILE --group NAME, or --config FILE alone',
          );
        // Every plan first: a VF that cannot be readied stops the run before any VF is changed.
        const plans = vfs.map((each) => planVfPreparation(each.address, each.mac, '/sys', opts.trust === true));
        print(plans.map(describePlan).join('\n\n') + '\n');
        if (!opts.dryRun) for (const plan of plans) applyPlan(plan);
      },
    );

  changeCommand(program, 'set-log-level', "change the daemon's log level while it runs (not saved)")
    .argument('<level>', LOG_LEVELS.join(' | '))
    .action((level: string, opts: SocketOptions) => act(opts.socket, 'set-log-level', { level }));

  return program;
}
