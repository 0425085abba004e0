// vhost-failover(8), rendered from the commander program itself (scripts/man-page.js writes it),
// so the page lists exactly the commands, arguments, options and defaults that --help shows.
import type { Argument, Command, Option } from 'commander';
import { DEFAULT_CONTROL_SOCKET } from '../config';
import { VERSION } from '../version';
import { EXIT } from './exit-codes';
import { SOCKET_ENV } from './program';

// Typed by EXIT's keys, so a new exit status does not compile until it is documented here.
const EXIT_MEANINGS: Record<keyof typeof EXIT, string> = {
  ok: 'Done. For run: the daemon stopped on SIGTERM or SIGINT.',
  refused:
    'The daemon refused the request (the reason is printed on standard error), a file add-group ' +
    'names could not be read, or the daemon failed while running.',
  usage: 'Wrong usage of the command line: an unknown command or option, or a missing argument.',
  unreachable: 'No daemon answered on the control socket: no socket, nobody listening, or no reply within 5 seconds.',
  config: 'The configuration file is invalid (EX_CONFIG). Fix it: starting again will not help.',
};

const FILES: [string, string][] = [
  ['/etc/vhost-failover/config.yaml', 'The configuration file the systemd unit starts the daemon with.'],
  [DEFAULT_CONTROL_SOCKET, 'The control socket, unless the configuration names another.'],
  ['/lib/systemd/system/vhost-failover.service', 'The systemd unit: privileges, sandbox and runtime directories.'],
];

const SEE_ALSO: [string, number][] = [
  ['journalctl', 1],
  ['qemu-system-x86_64', 1],
  ['systemctl', 1],
  ['virsh', 1],
];

/** Text as roff reads it literally: backslashes and minus signs escaped, no line taken for a request. */
function escape(text: string): string {
  return text.replace(/\\/g, '\\e').replace(/-/g, '\\-').replace(/^[.']/gm, '\\&$&');
}

const bold = (text: string) => `\\fB${escape(text)}\\fR`;
const italic = (text: string) => `\\fI${escape(text)}\\fR`;

// What the daemon does, for the DESCRIPTION: roff, its text escaped.
const ABOUT = [
  escape(
    'The daemon gives each virtual machine one vhost-user port, a group, and two uplinks for it: a ' +
      'primary, normally an SR-IOV virtual function bound to vfio-pci, and a standby path, such as a ' +
      'tap device the host bridges. The guest sees one virtio-net device with one MAC address, ' +
      'whichever uplink carries its traffic.',
  ),
  escape(
    'Failover happens in the data plane: DPDK worker threads poll the ports, and when the primary ' +
      "loses its link or is removed they send the guest's frames over the standby at once, with no " +
      "help from the guest, then announce the guest's MAC address on the new path. When the primary " +
      'is back, traffic returns to it after a failback delay, or, in non-revertive mode, when the ' +
      'operator says so. Every command but ',
  ) + `${bold('run')} and ${bold('check-config')} talks to a running daemon over its control socket.`,
];

function argumentTerm(arg: Argument): string {
  const term = italic(arg.name()) + (arg.variadic ? '...' : '');
  return arg.required ? term : `[${term}]`;
}

/** "-s, --socket <path>": the flags bold, the value's name italic. */
function optionTerm(option: Option): string {
  return option.flags
    .split(' ')
    .map((word) => {
      const value = /^([<[])(.+)[>\]]$/.exec(word);
      if (value) return value[1] === '<' ? italic(value[2]) : `[${italic(value[2])}]`;
      return word.endsWith(',') ? bold(word.slice(0, -1)) + ',' : bold(word);
    })
    .join(' ');
}

/** A tagged paragraph: the term on its own line, the text under it. */
const tagged = (term: string, text: string) => ['.TP', term, text];

function commandSection(cmd: Command): string[] {
  const help = cmd.createHelp();
  const usage = [bold(cmd.name()), ...cmd.registeredArguments.map(argumentTerm), `[${italic('options')}]`];
  return [
    '.SS ' + usage.join(' '),
    escape(cmd.description()),
    ...cmd.registeredArguments.flatMap((arg) => tagged(argumentTerm(arg), escape(help.argumentDescription(arg)))),
    ...cmd.options
      .filter((option) => !option.hidden)
      .flatMap((option) =>
        tagged(optionTerm(option), escape(help.optionDescription(option) + (option.mandatory ? ' (required)' : ''))),
      ),
  ];
}

/** The whole page; `date` (YYYY-MM-DD) goes in the footer, so that a build can be reproduced. */
export function renderManPage(program: Command, date: string): string {
  const name = program.name();
  const help = program.createHelp();
  const lines = [
    `.TH ${escape(name.toUpperCase())} 8 ${date} "${escape(`${name} ${VERSION}`)}" "System Administration"`,
    '.SH NAME',
    `${escape(name)} \\- ${escape(program.description())}`,
    '.SH SYNOPSIS',
    `${bold(name)} ${italic('command')} [${italic('options')}]`,
    '.SH DESCRIPTION',
    `${bold(name)} is a ${escape(program.description())}.`,
    ...ABOUT.flatMap((paragraph) => ['.PP', paragraph]),
    '.SH OPTIONS',
    ...help
      .visibleOptions(program)
      .flatMap((option) => tagged(optionTerm(option), escape(help.optionDescription(option)))),
    '.SH COMMANDS',
    `Every command also takes ${bold('-h')}, ${bold('--help')}.`,
    ...program.commands.flatMap(commandSection),
    '.SH "EXIT STATUS"',
    ...Object.entries(EXIT).flatMap(([key, code]) =>
      tagged(bold(String(code)), escape(EXIT_MEANINGS[key as keyof typeof EXIT])),
    ),
    '.SH ENVIRONMENT',
    ...tagged(
      bold(SOCKET_ENV),
      `The control socket, when ${bold('--socket')} is not given. Default: ${italic(DEFAULT_CONTROL_SOCKET)}.`,
    ),
    '.SH FILES',
    ...FILES.flatMap(([file, what]) => tagged(italic(file), escape(what))),
    '.SH "SEE ALSO"',
    SEE_ALSO.map(([page, section]) => `.BR ${escape(page)} (${section})`).join(',\n'),
  ];
  return lines.join('\n') + '\n';
}
