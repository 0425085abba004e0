// vhost-failover(8) as rendered from the real program: complete, valid roff, and clean for the
// formatter when groff or man is at hand.
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import { EXIT } from '../../src/cli/exit-codes';
import { renderManPage } from '../../src/cli/man-page';
import { buildProgram } from '../../src/cli/program';
import { VERSION } from '../../src/version';

const program = buildProgram();
const page = renderManPage(program, '2025-01-31');
const lines = page.trimEnd().split('\n');

// The requests the page may use; a text line taken for anything else would vanish or misformat.
const REQUESTS = /^\.(TH|SH|SS|TP|PP|BR)( |$)/;

/** The lines of one .SH section, up to the next. */
function section(title: string): string[] {
  const start = lines.findIndex((line) => line === `.SH ${title}` || line === `.SH "${title}"`);
  assert.ok(start >= 0, `no section ${title}`);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('.SH '));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** Roff text as a reader sees it, fonts and escapes gone. */
const plain = (roff: string) =>
  roff
    .replace(/\\f[BIRP]|\\&/g, '')
    .replace(/\\-/g, '-')
    .replace(/\\e/g, '\\');

/** The first formatter found on this machine that warns about bad roff, or undefined. */
function formatter(): { command: string; args: string[] } | undefined {
  const candidates = [
    { command: 'groff', args: ['-man', '-Tutf8', '-ww'] },
    { command: 'man', args: ['-l', '-'] },
  ];
  return candidates.find(({ command }) => !spawnSync(command, ['--version']).error);
}

describe('man page', function () {
  it('lists every command under COMMANDS with its arguments, description and options', function () {
    const commands = section('COMMANDS').map(plain);
    for (const cmd of program.commands) {
      const heading = commands.findIndex((line) => line.startsWith(`.SS ${cmd.name()} `));
      assert.ok(heading >= 0, `no subsection for ${cmd.name()}`);
      const next = commands.findIndex((line, i) => i > heading && line.startsWith('.SS '));
      const body = commands.slice(heading, next < 0 ? undefined : next);
      assert.equal(body[1], cmd.description());
      for (const arg of cmd.registeredArguments) assert.ok(body[0].includes(arg.name()), `${cmd.name()} ${arg.name()}`);
      for (const option of cmd.options) assert.ok(body.includes(option.flags.replace(/[<>]/g, '')), option.flags);
    }
  });

  it('gives the version, every exit status and the socket variable', function () {
    assert.match(lines[0], new RegExp(`^\\.TH VHOST\\\\-FAILOVER 8 2025-01-31 "vhost\\\\-failover ${VERSION}"`));
    const statuses = section('EXIT STATUS');
    for (const code of Object.values(EXIT)) assert.ok(statuses.includes(`\\fB${code}\\fR`), `exit status ${code}`);
    assert.ok(section('ENVIRONMENT').includes('\\fBVHOST_FAILOVER_SOCKET\\fR'));
  });

  it('is valid roff: only known requests start a line, every minus sign is escaped', function () {
    for (const line of lines) {
      assert.ok(!line.startsWith("'"), line);
      if (line.startsWith('.')) assert.match(line, REQUESTS);
      assert.notEqual(line.trim(), '', 'blank line');
    }
    for (const line of lines.slice(1)) assert.ok(!/(^|[^\\])-/.test(line), `unescaped '-': ${line}`);
  });

  it('formats without warnings (when groff or man is installed)', function () {
    const found = formatter();
    if (!found) this.skip();
    const formatted = spawnSync(found.command, found.args, { input: page, encoding: 'utf8' });
    assert.equal(formatted.status, 0, formatted.stderr);
    assert.equal(formatted.stderr, '', `${found.command} warns`);
    assert.match(formatted.stdout, /^VHOST-FAILOVER\(8\)/);
  });
});
