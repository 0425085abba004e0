// The habits that keep the code readable, checked with every test run: eslint, prettier and
// clang-format must be clean (`npm run format` fixes the last two).
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('code style', function () {
  this.timeout(120000);

  it('passes npm run lint (eslint, prettier --check, clang-format --dry-run)', function () {
    const lint = spawnSync('npm', ['run', '--silent', 'lint'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(lint.status, 0, `${lint.stdout}${lint.stderr}`);
  });
});
