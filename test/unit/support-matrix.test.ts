// The supported-hosts matrix appears twice, in README.md for a first look and at the top of the
// operator docs; the two must say the same.
import { strict as assert } from 'assert';
import { readFileSync } from 'fs';
import path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** The table under the first heading of `file` whose text starts with `heading`. */
function tableUnder(file: string, heading: string): string[] {
  const lines = readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const start = lines.findIndex((line) => /^#+ /.test(line) && line.replace(/^#+ /, '').startsWith(heading));
  assert.ok(start >= 0, `${file}: no heading "${heading}"`);
  const first = lines.findIndex((line, i) => i > start && line.startsWith('|'));
  const end = lines.findIndex((line, i) => i > first && !line.startsWith('|'));
  return lines.slice(first, end);
}

describe('supported hosts matrix', function () {
  it('is the same in README.md and docs/operator/README.md', function () {
    const readme = tableUnder('README.md', 'Supported hosts');
    assert.ok(readme.length >= 3, 'README.md: no table under "Supported hosts"');
    assert.deepEqual(tableUnder(path.join('docs', 'operator', 'README.md'), 'Support and scale'), readme);
  });
});
