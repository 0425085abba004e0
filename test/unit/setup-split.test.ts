// The runtime set-up installs what the daemon needs and nothing of the lab's: a hypervisor that
// runs scripts/setup gets no QEMU, no test tools and, above all, no kernel package in its boot
// chain. The lab's guest kernel is fetched and unpacked, never installed.
import { strict as assert } from 'assert';
import fs from 'fs';
import path from 'path';

const SCRIPTS = path.resolve(__dirname, '..', '..', '..', 'scripts');

function packageList(script: string, name: string): string[] {
  const text = fs.readFileSync(path.join(SCRIPTS, script), 'utf8');
  const list = new RegExp(`^${name}=\\(([^)]*)\\)`, 'm').exec(text)?.[1];
  assert.ok(list, `${script} has no ${name}`);
  return list.split(/\s+/).filter(Boolean);
}

describe('set-up split', function () {
  it("installs only the daemon's build and run needs in scripts/setup", function () {
    const runtime = packageList('setup', 'PACKAGES');
    assert.deepEqual(runtime.sort(), ['build-essential', 'dpdk', 'iproute2', 'libdpdk-dev', 'pkg-config', 'python3']);
  });

  it('installs no kernel package, fetching the guest kernel instead', function () {
    const lab = [...packageList('setup-lab', 'LAB_PACKAGES'), ...packageList('setup-lab', 'GUEST_PACKAGES')];
    assert.ok(!lab.some((name) => name.startsWith('linux-image')), lab.join(' '));
    const text = fs.readFileSync(path.join(SCRIPTS, 'setup-lab'), 'utf8');
    assert.match(text, /apt-get download/);
    assert.match(text, /dpkg-deb -x/);
    assert.doesNotMatch(text, /dpkg -i|apt-get install[^\n]*linux-image/);
  });
});
