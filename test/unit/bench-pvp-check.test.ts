// The PVP recipe's dry run: the committed recipe passes, and each kind of mistake a lab makes
// when adapting it (a typo in the profile, MACs that disagree, a configuration the daemon
// refuses, a broken script) is named. Needs python3 (the profile is read by its ast module).
import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { PVP_DIR, pvpProblems } from '../../bench/pvp/check';

const hasPython = (() => {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('bench PVP recipe check', function () {
  let dir: string;
  const edit = (file: string, from: string | RegExp, to: string) => {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const edited = text.replace(from, to);
    assert.notEqual(edited, text, `${from} not in ${file}`);
    fs.writeFileSync(path.join(dir, file), edited);
  };

  before(function () {
    if (!hasPython) this.skip();
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pvp-check-'));
    fs.cpSync(PVP_DIR, dir, { recursive: true });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('passes the recipe as committed', () => {
    assert.deepEqual(pvpProblems(dir), []);
  });

  it('names a profile that reads an undefined name or lost its entry point', () => {
    edit('trex_pvp.py', 'return STLStream(packet=STLPktBuilder', 'return STLStrem(packet=STLPktBuilder');
    edit('trex_pvp.py', 'def register():', 'def register_profile():');
    const problems = pvpProblems(dir).join('\n');
    assert.match(problems, /never defined: STLStrem/);
    assert.match(problems, /no register\(\)/);
  });

  it('names MACs that disagree between the daemon, the profile and QEMU', () => {
    edit('daemon.yaml', "mac: '52:54:00:00:0a:02'", "mac: '52:54:00:00:0a:09'");
    const problems = pvpProblems(dir).join('\n');
    assert.match(problems, /GUEST_MACS .* are not daemon\.yaml's/);
    assert.match(problems, /qemu-guest\.sh has no port with mac=52:54:00:00:0a:09/);
  });

  it("names a configuration the daemon's schema refuses, and a script that does not parse", () => {
    edit('daemon.yaml', 'workerCpus: [2, 4]', 'workerCpus: two');
    edit('guest-testpmd.sh', 'set -eu', 'set -eu\nif then');
    const problems = pvpProblems(dir).join('\n');
    assert.match(problems, /workerCpus/);
    assert.match(problems, /guest-testpmd\.sh: .*syntax error/i);
  });

  it('names sizes that are not RFC 2544’s', () => {
    edit('trex_pvp.py', 'RFC2544_SIZES = [64, 128,', 'RFC2544_SIZES = [64, 100,');
    assert.match(pvpProblems(dir).join('\n'), /RFC2544_SIZES is not/);
  });
});
