import { strict as assert } from 'assert';
import pino from 'pino';
import { Writable } from 'stream';
import type { Peer } from '../../src/control/access';
import {
  LOGGED_TEXT_MAX_CHARS,
  REFUSAL_LOG_BURST,
  REFUSAL_LOG_REFILL_MS,
  RefusalLog,
} from '../../src/control/refusal-log';

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

const peer = (uid: number): Peer => ({ pid: 4242, uid, gid: uid, groups: [] });
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('refusal log', () => {
  it('logs a burst per uid, then one line per refill with the count held back, whatever the connections', async () => {
    const { log, lines } = capturingLogger();
    let nowMs = 0;
    const refusals = new RefusalLog(log, () => nowMs);
    try {
      // 300 refusals of one uid (the server's connections do not matter: the key is the uid).
      for (let i = 0; i < 300; i++) refusals.refused(peer(65534), { op: 'switch', args: { i }, error: 'denied' });
      await flush();
      assert.equal(lines.length, REFUSAL_LOG_BURST);
      // Another uid has its own allowance.
      refusals.refused(peer(1000), { op: 'switch', error: 'denied' });
      await flush();
      assert.equal(lines.length, REFUSAL_LOG_BURST + 1);
      nowMs += REFUSAL_LOG_REFILL_MS;
      refusals.refused(peer(65534), { op: 'switch', error: 'denied' });
      await flush();
      const [summary, next] = lines.slice(-2);
      assert.equal(summary.msg, 'control: refused requests not logged (rate limit per uid)');
      assert.equal(summary.suppressed, 300 - REFUSAL_LOG_BURST);
      assert.equal(summary.uid, 65534);
      assert.equal(next.msg, 'control request refused');
    } finally {
      refusals.close();
    }
  });

  it('logs the count on its own once the bucket refills for a uid that went quiet', async () => {
    const { log, lines } = capturingLogger();
    const refusals = new RefusalLog(log);
    try {
      for (let i = 0; i < REFUSAL_LOG_BURST + 3; i++) refusals.refused(peer(7), { error: 'denied' });
      await new Promise((resolve) => setTimeout(resolve, REFUSAL_LOG_REFILL_MS + 200));
      assert.equal(lines.length, REFUSAL_LOG_BURST + 1);
      assert.equal(lines[REFUSAL_LOG_BURST].suppressed, 3);
    } finally {
      refusals.close();
    }
  }).timeout(10000);

  it('cuts arguments and errors short and escapes control characters', async () => {
    const { log, lines } = capturingLogger();
    const refusals = new RefusalLog(log);
    refusals.refused(peer(7), {
      op: 'x\u009b',
      args: { config: 'a'.repeat(30000) },
      error: `no group "${'b'.repeat(30000)}"`,
    });
    await flush();
    refusals.close();
    const [line] = lines;
    assert.ok(String(line.args).length < LOGGED_TEXT_MAX_CHARS + 40, String(line.args).slice(0, 300));
    assert.match(String(line.args), /\.\.\. \(30013 chars\)$/);
    assert.ok(String(line.error).length < LOGGED_TEXT_MAX_CHARS + 40);
    assert.equal(line.op, 'x\\u009b');
  });
});
