// Under systemd the daemon's lines carry journald priorities: `journalctl -p err` must find its errors.
import { strict as assert } from 'assert';
import fs from 'fs';
import pino from 'pino';
import { journalDestination, stdoutIsJournal, syslogPriority } from '../../src/log';

describe('journald priorities', function () {
  it("leads each line with the syslog priority of pino's level", function () {
    const lines: string[] = [];
    const log = pino(
      { level: 'debug' },
      journalDestination((line) => lines.push(line)),
    );
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    log.fatal('f');
    assert.deepEqual(
      lines.map((line) => line.slice(0, 3)),
      ['<7>', '<6>', '<4>', '<3>', '<2>'],
    );
    assert.equal(JSON.parse(lines[3].slice(3)).msg, 'e', 'the JSON after the prefix is intact');
    assert.equal(syslogPriority(10), 7);
  });

  it("prefixes only when standard output is the journal's stream (JOURNAL_STREAM names its device and inode)", function () {
    const { dev, ino } = fs.fstatSync(1);
    assert.equal(stdoutIsJournal({ JOURNAL_STREAM: `${dev}:${ino}` }), true);
    assert.equal(stdoutIsJournal({ JOURNAL_STREAM: `${dev}:${ino + 1}` }), false);
    assert.equal(stdoutIsJournal({}), false);
  });
});
