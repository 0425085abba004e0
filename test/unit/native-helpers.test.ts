// The native unit tests (native/dpdk/test/: announcement frames, address learning, VLAN filter
// changes, the transmit decision) are a C++ program built with the addon's sources. This runs it
// and reports each of its cases as a test here, so the one summary line counts them too.
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import path from 'path';

const BINARY = path.resolve(__dirname, '..', '..', '..', 'build', 'Release', 'native_unit_tests');

describe('native helpers (C++ unit tests)', function () {
  const run = spawnSync(BINARY, { encoding: 'utf8' });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? run.error.message : ''}`;
  // "  ok   name" or "  FAIL name", each FAIL followed by its indented "file:line: check" lines.
  const cases = [...output.matchAll(/^ {2}(ok {2}|FAIL) (.+)\n((?: {4}.*\n)*)/gm)];

  it('builds and runs every case', function () {
    assert.ok(cases.length > 0, `no test output from ${BINARY}:\n${output}`);
    assert.match(output, /\d+ passed, \d+ failed/, output);
  });
  for (const [, result, name, details] of cases)
    it(name, function () {
      assert.equal(result, 'ok  ', details);
    });
});
