import { strict as assert } from 'assert';
import { ConfigError, validateConfig } from '../../src/config';
import { controlCharacterAt, escapeControlCharacters, hasControlCharacter } from '../../src/config/control-characters';
import { parseRequest } from '../../src/control/protocol';

const group = {
  name: 'vm1',
  mac: '52:54:00:00:00:01',
  vhost: { socket: '/run/vf/vm1.sock', mode: 'client' },
  primary: { devargs: '0000:3b:02.1' },
  standby: { devargs: 'net_tap1,iface=sb-vm1' },
};

function problemsOf(raw: unknown): string[] {
  try {
    validateConfig(raw);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    return err.problems;
  }
  assert.fail('the configuration was accepted');
}

describe('control characters', () => {
  it('are refused in every string field of the config, pattern or none, C0, DEL and C1 alike', () => {
    const cases: Array<[string, unknown]> = [
      ['groups[0].vhost.socket', { groups: [{ ...group, vhost: { socket: '/run/vf/vm1.sock\u0000/etc/x' } }] }],
      ['groups[0].primary.devargs', { groups: [{ ...group, primary: { devargs: '0000:3b:02.1\u0000' } }] }],
      [
        'groups[0].qmp.device',
        { groups: [{ ...group, qmp: { socket: '/run/vf/qmp.sock', device: 'net0\u009b31m' } }] },
      ],
      ['dataplane.extraEalArgs[0]', { dataplane: { extraEalArgs: ['--log-level\u007f'] }, groups: [group] }],
      ['metrics.address', { metrics: { address: '127.0.0.1\n' }, groups: [group] }],
      ['control.group', { control: { group: 'ops\u001b[2J' }, groups: [group] }],
      ['control.runtimeDirectories[0]', { control: { runtimeDirectories: ['/run/a\tb'] }, groups: [group] }],
    ];
    for (const [field, raw] of cases) {
      const problems = problemsOf(raw);
      const problem = problems.find((text) => text.startsWith(`${field}: `));
      assert.ok(problem, `nothing about ${field} in:\n${problems.join('\n')}`);
      assert.match(problem, /holds a control character; write it with no control characters \(U\+0000-U\+001F/);
      assert.ok(!hasControlCharacter(problem), 'the message quotes it escaped');
    }
  });

  it('accepts printable text beyond ASCII', () => {
    assert.equal(
      validateConfig({ groups: [{ ...group, qmp: { socket: '/run/q.sock', device: 'nïc0' } }] }).groups[0].qmp?.device,
      'nïc0',
    );
  });

  it('refuses a control request with one anywhere, keys included, before any field is read', () => {
    const nul =
      '{"v":1,"op":"add-group","config":{"name":"vm2","vhost":{"socket":"/run/vf/a.sock\\u0000/etc/passwd"}}}';
    assert.throws(() => parseRequest(nul), /"config\.vhost\.socket" holds a control character/);
    assert.throws(() => parseRequest('{"op":"status","group":"vm1\\u0085"}'), /"group" holds a control character/);
    assert.throws(() => parseRequest('{"op":"status","x\\u0000":1}'), /"x\\u0000" holds a control character/);
    assert.throws(() => parseRequest('{"op":"sta\\ntus"}'), /"op" holds a control character/);
    assert.equal(parseRequest('{"op":"status","group":"vmé"}').group, 'vmé');
  });

  it('names where the first one lies and escapes it for messages', () => {
    assert.equal(controlCharacterAt({ a: [{ b: 'ok' }, { c: 'x\u0001' }] }), 'a[1].c');
    assert.equal(controlCharacterAt({ a: ['fine', 1, null, true] }), undefined);
    assert.equal(escapeControlCharacters('a\u0000b\u009bc'), 'a\\u0000b\\u009bc');
  });
});
