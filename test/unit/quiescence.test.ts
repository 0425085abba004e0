// The worker's quiescence protocol under ThreadSanitizer (native/dpdk/test/quiescence_stress.cc):
// the real Worker with two worker threads and two control threads adding and removing groups and
// attaching and detaching primaries in dataplane.cc's order. No report passes; the same program
// leaving out either wait that memory safety rests on must be reported, or the check proves
// nothing.
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import path from 'path';

const BINARY = path.resolve(__dirname, '..', '..', '..', 'build', 'Release', 'quiescence_stress_tsan');
const TSAN_REPORTED = 66; // TSan's exit status when it reported

function run(args: string[]) {
  const result = spawnSync(BINARY, args, { encoding: 'utf8', timeout: 60000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}${result.error?.message ?? ''}` };
}

describe('worker quiescence under ThreadSanitizer (C++)', function () {
  this.timeout(90000);

  it('publishes, detaches and frees with no data race', function () {
    const { status, output } = run([]);
    assert.equal(status, 0, output);
    assert.doesNotMatch(output, /ThreadSanitizer/);
    assert.match(output, /quiescence stress: 200 rounds on 2 workers/);
  });

  const leftOut: Record<string, string> = {
    publish: 'the group list is swapped',
    'second-wait': "the detach's second quiesce is left out",
    'guest-left': "a departing guest's LSC callback does not wait out the workers",
  };
  for (const [wait, what] of Object.entries(leftOut))
    it(`reports a race when ${what} before the free`, function () {
      const { status, output } = run(['--skip', wait, '--rounds', '100']);
      assert.equal(status, TSAN_REPORTED, output);
      assert.match(output, /WARNING: ThreadSanitizer: (data race|heap-use-after-free)/);
    });
});
