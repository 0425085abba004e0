// The Debian package as this host's release sees it: scripts/build-deb's .deb declares what it needs,
// holds what the service and the operator use, root-owned with plain modes, and its unpacked tree
// runs: the wrapper finds its library, the example config passes, systemd accepts the unit.
import { strict as assert } from 'assert';
import { spawnSync, type SpawnSyncOptions } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { allowedSystemCalls, unitValues } from '../../lab/systemd-unit';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
// One package per Debian release, versioned +deb<N>, depending on the DPDK of that release.
const DEBIAN_MAJOR = /^VERSION_ID="?(\d+)/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))![1];
const DPDK_LINE = spawnSync('pkg-config', ['--modversion', 'libdpdk'], { encoding: 'utf8' }).stdout.trim().split('.');
const DPDK_ABI = { '22.11': '23', '24.11': '25' }[DPDK_LINE.slice(0, 2).join('.')];
const DEB_VERSION = `${VERSION}+deb${DEBIAN_MAJOR}`;
const DEB = path.join(ROOT, 'build', 'deb', `vhost-failover_${DEB_VERSION}_amd64.deb`);
const LIB = './usr/lib/vhost-failover';

const FILES = [
  './usr/bin/vhost-failover',
  `${LIB}/package.json`,
  `${LIB}/dist/src/cli.js`,
  `${LIB}/build/Release/vhost_failover.node`,
  `${LIB}/node_modules/commander/package.json`,
  './lib/systemd/system/vhost-failover.service',
  './etc/vhost-failover/config.yaml',
  './usr/share/man/man8/vhost-failover.8.gz',
  './usr/share/doc/vhost-failover/copyright',
  './usr/share/doc/vhost-failover/changelog.Debian.gz',
];

function run(command: string, args: string[], options: SpawnSyncOptions = {}): { stdout: string; stderr: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60000, ...options });
  const output = `${result.stdout}${result.stderr}`;
  assert.equal(result.status, 0, `${command} ${args.join(' ')}: ${result.error?.message ?? output}`);
  return { stdout: String(result.stdout), stderr: String(result.stderr) };
}

describe('Debian package', function () {
  let unpacked: string;

  before(function () {
    this.timeout(6 * 60000);
    run(path.join(ROOT, 'scripts', 'build-deb'), [], { timeout: 5 * 60000 });
    unpacked = fs.mkdtempSync(path.join(os.tmpdir(), 'vhost-failover-deb-'));
    run('dpkg-deb', ['-x', DEB, unpacked]);
  });

  after(function () {
    if (unpacked) fs.rmSync(unpacked, { recursive: true, force: true });
  });

  it('declares its name, version, maintainer, dependencies and conffile', function () {
    const info = run('dpkg-deb', ['--info', DEB]).stdout;
    const field = (name: string) => new RegExp(`^ ${name}: (.*)$`, 'm').exec(info)?.[1];
    assert.equal(field('Package'), 'vhost-failover');
    assert.equal(field('Version'), DEB_VERSION);
    assert.equal(field('Architecture'), 'amd64');
    assert.equal(field('Maintainer'), 'vhost-failover developers <vhost-failover@localhost>');
    assert.equal(field('Section'), 'net');
    assert.equal(field('Priority'), 'optional');
    const depends = (field('Depends') ?? '').split(/,\s*/);
    const [year, month] = DPDK_LINE.map(Number);
    const dpdkRange = [`dpdk (>= ${year}.${month}~)`, `dpdk (<< ${year}.${month + 1}~)`];
    for (const dependency of ['nodejs (>= 20.19)', ...dpdkRange, 'iproute2', `librte-net-vhost${DPDK_ABI}`]) {
      assert.ok(depends.includes(dependency), `Depends lacks ${dependency}: ${depends.join(', ')}`);
    }
    assert.ok(
      depends.some((dependency) => dependency.startsWith(`librte-ethdev${DPDK_ABI} `)),
      'no shared-library dependency',
    );
    assert.match(info, /^ Description: .+\n( .+\n){5,}/m);
    for (const script of ['conffiles', 'postinst', 'prerm']) assert.match(info, new RegExp(`\\s${script}\\s`));
  });

  it('holds the program, its unit, config, man page and docs, root-owned, 0644 or 0755', function () {
    const entries = run('dpkg-deb', ['--contents', DEB])
      .stdout.trimEnd()
      .split('\n')
      .map((line) => {
        const [mode, owner, , , , file] = line.split(/\s+/);
        return { mode, owner, file };
      });
    const files = new Set(entries.map((entry) => entry.file));
    for (const file of FILES) assert.ok(files.has(file), `${file} missing`);
    for (const { mode, owner, file } of entries) {
      assert.equal(owner, 'root/root', file);
      assert.match(mode, /^(-rw-r--r--|-rwxr-xr-x|drwxr-xr-x|lrwxrwxrwx)$/, file);
    }
    const mode = (file: string) => entries.find((entry) => entry.file === file)?.mode;
    assert.equal(mode('./usr/bin/vhost-failover'), '-rwxr-xr-x');
    assert.equal(mode('./etc/vhost-failover/config.yaml'), '-rw-r--r--');
    for (const file of files) {
      assert.ok(!/\/node_modules\/(mocha|typescript|eslint)\//.test(file), `development module ${file}`);
      assert.ok(!file.startsWith(`${LIB}/dist/test/`), `test file ${file}`);
    }
  });

  it('runs from the unpacked tree: --version prints the package version, then the DPDK it loads', function () {
    const [version, dpdk] = run(path.join(unpacked, 'usr/bin/vhost-failover'), ['--version']).stdout.split('\n');
    assert.equal(version, VERSION);
    assert.match(dpdk, /^DPDK \d+\.\d+\.\d+ \(addon compiled with DPDK \d+\.\d+\.\d+\)$/);
  });

  it('accepts its own example configuration with check-config', function () {
    const config = path.join(unpacked, 'etc/vhost-failover/config.yaml');
    const checked = run(path.join(unpacked, 'usr/bin/vhost-failover'), ['check-config', config]).stdout;
    assert.match(checked, /: valid; 2 group\(s\): vm1, vm2/);
  });

  it('has a unit systemd-analyze verify accepts (the binary aside, as the package is not installed)', function () {
    const unit = path.join(unpacked, 'lib/systemd/system/vhost-failover.service');
    // The man page the unit's Documentation= names is the packaged one.
    const env = { ...process.env, MANPATH: path.join(unpacked, 'usr/share/man') };
    const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', env });
    const complaints = `${verify.stdout}${verify.stderr}`
      .split('\n')
      .filter((line) => line.trim() !== '')
      .filter((line) => !/Command \/usr\/bin\/vhost-failover is not executable: No such file or directory/.test(line));
    assert.deepEqual(complaints, []);
  });

  // test/integration/unit-confinement.test.ts runs the daemon under these capabilities and filter.
  it('confines the daemon: a system call filter, a closed device policy naming vfio and tun, no CAP_SYS_ADMIN', function () {
    const unit = fs.readFileSync(path.join(unpacked, 'lib/systemd/system/vhost-failover.service'), 'utf8');
    const values = (key: string) => unitValues(unit, key);
    assert.deepEqual(values('SystemCallFilter'), ['@system-service @pkey']);
    assert.deepEqual(values('SystemCallErrorNumber'), ['EPERM']);
    assert.deepEqual(values('SystemCallArchitectures'), ['native']);
    assert.deepEqual(values('DevicePolicy'), ['closed']);
    assert.deepEqual(values('DeviceAllow'), ['/dev/vfio/vfio rw', 'char-vfio rw', '/dev/net/tun rw']);
    assert.deepEqual(values('PrivateDevices'), [], 'PrivateDevices= would hide vfio and /dev/net/tun');
    for (const key of ['CapabilityBoundingSet', 'AmbientCapabilities'])
      assert.deepEqual(values(key), ['CAP_NET_ADMIN CAP_IPC_LOCK CAP_DAC_OVERRIDE CAP_CHOWN'], key);
    // systemd's own reading of the filter: no raw I/O, mounts, modules or bpf for the daemon.
    const allowed = allowedSystemCalls(values('SystemCallFilter')[0].split(' '));
    assert.ok(allowed.has('memfd_create') && allowed.has('mbind'), "EAL's hugepage calls");
    for (const call of ['iopl', 'ioperm', 'mount', 'init_module', 'bpf', 'kexec_load'])
      assert.ok(!allowed.has(call), `${call} is allowed`);
  });
});

describe('npm package', function () {
  this.timeout(6 * 60000);

  it('packs with its build, and `npm install -g` of the tarball gives a working vhost-failover', function () {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vhost-failover-npm-'));
    try {
      const packed = run('npm', ['pack', '--silent', '--pack-destination', scratch], { cwd: ROOT, timeout: 3 * 60000 });
      const tarball = path.join(scratch, packed.stdout.trim().split('\n').pop()!);
      const listing = run('tar', ['-tzf', tarball]).stdout;
      for (const file of ['package/dist/src/cli.js', 'package/binding.gyp', 'package/native/dpdk/hot/forward.cc'])
        assert.ok(listing.includes(file), `${file} missing from the tarball`);
      assert.ok(!listing.includes('package/dist/test/'), 'no tests in the package');
      assert.ok(!listing.includes('package/native/dpdk/test/'), 'no native test programs in the package');
      // A scratch prefix: the global install builds the addon against the host's DPDK.
      const prefix = path.join(scratch, 'prefix');
      run('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', tarball], { timeout: 5 * 60000 });
      const bin = path.join(prefix, 'bin', 'vhost-failover');
      assert.equal(run(bin, ['--version']).stdout.split('\n')[0], VERSION);
      assert.match(run(bin, ['check-config', path.join(ROOT, 'config', 'example.yaml')]).stdout, /valid; 2 group/);
      const loaded = run(process.execPath, [
        '-e',
        `require(${JSON.stringify(path.join(prefix, 'lib', 'node_modules', 'vhost-failover', 'build', 'Release', 'vhost_failover.node'))})`,
      ]);
      assert.equal(loaded.stderr, '');
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
});
