// Trust boundaries of what the daemon is handed, against the real daemon (real DPDK): strings
// with control characters, the config file's owner and mode, EAL arguments, device options,
// interfaces it did not create, listeners that must stay bounded, and a log a refused client
// must not flood.
import { strict as assert } from 'assert';
import { spawn, spawnSync } from 'child_process';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { hasControlCharacter } from '../../src/config/control-characters';
import { request } from '../../src/control/client';
import { REFUSAL_LOG_BURST } from '../../src/control/refusal-log';
import { MAX_METRICS_CONNECTIONS, METRICS_HEADERS_TIMEOUT_MS } from '../../src/metrics/server';
import { labConfig, type Topology } from '../../lab/topology';
import { waitFor } from '../../lab/wait';
import { topologyPerTest } from '../support/lab';

const CLI = path.resolve(__dirname, '..', '..', 'src', 'cli.js');

/** The CLI as root, in the lab's namespace when given one. */
function cli(t: Topology | undefined, ...args: string[]) {
  const command = [process.execPath, CLI, ...args];
  const run = t
    ? spawnSync('ip', ['netns', 'exec', t.netns.name, ...command], { encoding: 'utf8', timeout: 60000 })
    : spawnSync(command[0], command.slice(1), { encoding: 'utf8', timeout: 60000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** A config like the lab's, written to a fresh directory of its own; returns the file. */
/**
 * Writes the config into its own control socket's directory (labConfig's private one), so removing
 * the file's directory also removes the one labConfig made.
 */
function writeConfig<C extends { control: { socket: string } }>(config: C, mode = 0o644): string {
  const dir = path.dirname(config.control.socket);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, 'daemon.json');
  fs.writeFileSync(file, JSON.stringify(config));
  fs.chmodSync(file, mode);
  return file;
}

function openDescriptors(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

describe('trust boundaries: strings from outside (real DPDK)', function () {
  const lab = topologyPerTest();

  it('refuses a NUL in an add-group socket path, with the field named; no file is touched and no port made', async function () {
    const t = await lab.start();
    // The attack: the part before the NUL names an existing file outside the run-time directories,
    // the whole string normalises to one inside. Cut at the NUL in C++, a client-mode vhost port
    // lost ",client=1" and became a server at that file, which DPDK unlinked when bind failed.
    const victimDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-victim-'));
    const victim = path.join(victimDir, 'victim.txt');
    fs.writeFileSync(victim, 'precious\n');
    try {
      const socket = `${victim}\u0000/../../..${t.dir}/vm2.sock`;
      assert.equal(path.posix.normalize(socket), path.join(t.dir, 'vm2.sock'), 'the path check alone would pass it');
      const config = {
        name: 'vm2',
        mac: '52:54:00:00:0f:02',
        vhost: { socket, mode: 'client' },
        primary: { devargs: 'net_tap8,iface=vfx' },
        standby: { devargs: 'net_tap9,iface=vfy' },
      };
      await assert.rejects(
        request(t.controlSocket, 'add-group', { config }),
        /"config\.vhost\.socket" holds a control character; every string of a request must have no control characters/,
      );
      assert.equal(fs.readFileSync(victim, 'utf8'), 'precious\n');
      assert.deepEqual(await request(t.controlSocket, 'groups'), ['vm1']);
      assert.ok(!t.netns.hasLink('vfx') && !t.netns.hasLink('vfy'), 'no tap was made');
      assert.ok(!t.daemon!.log.includes('\\u0000'), 'the refusal logs no request arguments with the NUL');
    } finally {
      fs.rmSync(victimDir, { recursive: true, force: true });
    }
  });
});

describe('trust boundaries: strings in the config file (real daemon)', function () {
  it('refuses to start from a config whose strings hold control characters, naming each field', function () {
    const base = labConfig();
    const group = base.groups[0];
    const file = writeConfig({
      ...base,
      metrics: { address: '127.0.0.1\n' },
      groups: [
        {
          ...group,
          vhost: { ...group.vhost, socket: `${group.vhost.socket}\u0000/x` },
          qmp: { socket: '/run/q.sock', device: 'nic\u009b0' },
        },
      ],
    });
    try {
      const run = cli(undefined, 'run', '--config', file);
      assert.equal(run.code, 78, run.stderr);
      for (const field of ['metrics.address', 'groups[0].vhost.socket', 'groups[0].qmp.device'])
        assert.match(run.stderr, new RegExp(`${field.replace(/[.[\]]/g, '\\$&')}: ".*" holds a control character`));
      assert.ok(!hasControlCharacter(run.stderr.replace(/\n/g, ' ')), 'quoted escaped');
      assert.ok(!fs.existsSync(base.control.socket), 'nothing started');
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});

describe('trust boundaries: the config file and EAL arguments (real daemon)', function () {
  const lab = topologyPerTest();

  it('refuses to start from a config file others may write, naming it and the fix; a reload of one changes nothing', async function () {
    const file = writeConfig(labConfig(), 0o666);
    try {
      const run = cli(undefined, 'run', '--config', file);
      assert.equal(run.code, 78, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(
          `${file}: root or the daemon's user alone may be able to change it: ${file} is writable by its group or others \\(mode 0666\\); chmod go-w ${file}`,
        ),
      );
      fs.chmodSync(file, 0o644);
      fs.chmodSync(path.dirname(file), 0o777);
      const dir = cli(undefined, 'check-config', file);
      assert.notEqual(dir.code, 0);
      assert.match(
        dir.stderr,
        new RegExp(`its directory ${path.dirname(file)} is writable by its group or others \\(mode 0777\\)`),
      );
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }

    const t = await lab.start();
    fs.chmodSync(t.daemon!.configPath, 0o666);
    await assert.rejects(request(t.controlSocket, 'reload'), /is writable by its group or others \(mode 0666\)/);
    assert.deepEqual(await request(t.controlSocket, 'groups'), ['vm1'], 'the running groups are untouched');
  });

  it('refuses EAL arguments that reach past the allow-lists (--vdev, -d), before EAL starts', function () {
    const base = labConfig();
    for (const [extraEalArgs, reason] of [
      [
        ['--vdev', `net_pcap9,rx_pcap=/etc/shadow`],
        /dataplane\.extraEalArgs\[0\]: EAL option --vdev is refused: it makes a device around the devargs allow-list/,
      ],
      [['-d', '/tmp/evil.so'], /dataplane\.extraEalArgs\[0\]: EAL option -d is refused: it loads a shared object/],
      [['--log-level', 'lib.eal:info', '-a', '0000:00:1f.0'], /dataplane\.extraEalArgs\[2\]: EAL option -a is refused/],
    ] as const) {
      const file = writeConfig({ ...base, dataplane: { ...base.dataplane, extraEalArgs } });
      try {
        const run = cli(undefined, 'run', '--config', file);
        assert.equal(run.code, 78, run.stderr);
        assert.match(run.stderr, reason);
        assert.doesNotMatch(run.stderr, /EAL:/, 'EAL never started');
      } finally {
        fs.rmSync(path.dirname(file), { recursive: true, force: true });
      }
    }
  });
});

describe('trust boundaries: devices and interfaces (real DPDK)', function () {
  const lab = topologyPerTest();

  it("refuses a pcap whose second interface option is another uplink's tap, and PCI options that change what a device is", async function () {
    const t = await lab.start();
    await request(t.controlSocket, 'detach', { group: 'vm1' });
    await assert.rejects(
      request(t.controlSocket, 'attach', { group: 'vm1', devargs: `net_pcap0,rx_iface=lo,tx_iface=${t.standbyTap}` }),
      new RegExp(`\\(interface "${t.standbyTap}"\\) is already used by groups\\[0\\]\\.(primary|standby)\\.devargs`),
    );
    for (const [devargs, reason] of [
      ['0000:00:1f.0,cap=dcf', /PCI option cap is refused: it makes an iavf VF its PF's switch control/],
      ['0000:00:1f.0,representor=vf[0-15]', /PCI option representor is refused/],
      ['0000:00:1f.0,class=vdpa', /PCI option class is refused/],
    ] as const)
      await assert.rejects(request(t.controlSocket, 'attach', { group: 'vm1', devargs }), reason);
    assert.equal((await t.groupStatus()).activePath, 'standby');
  });

  it("never adopts an interface it did not make: a tap naming another's is refused at add-group and attach, and that interface is left as it was", async function () {
    const t = await lab.start();
    // Another VM's tap: persistent, up, made by someone else.
    const foreign = `vfo${t.primaryTap.slice(3)}`;
    t.netns.ip('tuntap', 'add', 'mode', 'tap', 'name', foreign);
    t.netns.ip('link', 'set', foreign, 'up');
    const before = t.netns.ip('-d', 'link', 'show', 'dev', foreign);
    const config = {
      name: 'vm2',
      mac: '52:54:00:00:0f:02',
      vhost: { socket: path.join(t.dir, 'vm2.sock') },
      primary: { devargs: `net_tap8,iface=${foreign}` },
      standby: { devargs: `net_tap9,iface=vfn${t.primaryTap.slice(3)}` },
    };
    await assert.rejects(
      request(t.controlSocket, 'add-group', { config }),
      new RegExp(`interface ${foreign} exists already; the daemon makes its own taps and never adopts one`),
    );
    await request(t.controlSocket, 'detach', { group: 'vm1' });
    await assert.rejects(
      request(t.controlSocket, 'attach', { group: 'vm1', devargs: `net_tap5,iface=${foreign}` }),
      new RegExp(`interface ${foreign} exists already`),
    );
    assert.deepEqual(await request(t.controlSocket, 'groups'), ['vm1']);
    assert.ok(!t.netns.hasLink(config.standby.devargs.split('=')[1]), "the refused group's standby was never made");
    // The daemon stops: it closes its own taps only.
    await t.daemon!.stop();
    const after = t.netns.ip('-d', 'link', 'show', 'dev', foreign);
    assert.equal(
      after.replace(/\s+/g, ' '),
      before.replace(/\s+/g, ' '),
      'the foreign tap is as it was: up, not removed',
    );
    assert.ok(!t.netns.hasLink(t.standbyTap), "the daemon's own taps are gone");
  });
});

describe('trust boundaries: listeners and the log (real DPDK, an unprivileged user)', function () {
  const lab = topologyPerTest();

  it(`keeps the daemon's descriptors bounded while nobody opens 3000 metrics connections`, async function () {
    const port = 20000 + ((process.pid + 11) % 20000);
    const t = await lab.start(labConfig({ metricsPort: port }));
    const pid = t.daemon!.pid;
    const before = openDescriptors(pid);
    // As nobody, in the lab's namespace: 3000 connections, each kept open as long as the daemon lets it.
    const script = `
      const net = require('net');
      let open = 0, closed = 0, failed = 0;
      for (let i = 0; i < 3000; i++) {
        const c = net.createConnection(${port}, '127.0.0.1');
        c.on('connect', () => open++);
        c.on('error', () => failed++);
        c.on('close', () => closed++);
      }
      setTimeout(() => { console.log(JSON.stringify({ open, closed, failed })); process.exit(0); }, 8000);`;
    const flood = spawn(
      'ip',
      ['netns', 'exec', t.netns.name, 'runuser', '-u', 'nobody', '--', process.execPath, '-e', script],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    flood.stdout.on('data', (chunk) => (output += chunk));
    let peak = before;
    const done = new Promise((resolve) => flood.once('exit', resolve));
    let finished = false;
    void done.then(() => (finished = true));
    while (!finished) {
      peak = Math.max(peak, openDescriptors(pid));
      await new Promise((resolve) => setTimeout(resolve, 20)); // sampling the daemon's descriptors
    }
    const counts = JSON.parse(output) as { open: number; closed: number; failed: number };
    console.log(
      `      3000 connections as nobody (${counts.open} accepted by the kernel, ${counts.closed} closed, ${counts.failed} failed): ` +
        `daemon descriptors ${before} before, at most ${peak} during`,
    );
    assert.ok(peak <= before + MAX_METRICS_CONNECTIONS + 2, `peak ${peak}, before ${before}`);
    const scrape = spawnSync('ip', ['netns', 'exec', t.netns.name, 'curl', '-sf', `http://127.0.0.1:${port}/metrics`], {
      encoding: 'utf8',
    });
    assert.equal(scrape.status, 0, 'a scrape works once the flood is gone');
  });

  it('drops a metrics client that sends nothing or sends its headers slowly, and a silent control client', async function () {
    this.timeout(60000);
    const port = 20000 + ((process.pid + 13) % 20000);
    // The control idle bound is the config's (60 s unless set); 8 s here keeps the wait short.
    const idleTimeoutMs = 8000;
    const t = await lab.start(labConfig({ metricsPort: port, control: { idleTimeoutSeconds: idleTimeoutMs / 1000 } }));
    // A client in the lab's namespace (the metrics port is there), its connection's lifetime measured.
    const heldFor = (input: string) =>
      new Promise<number>((resolve) => {
        const start = Date.now();
        const script = `const c = require('net').createConnection(${port}, '127.0.0.1');
          c.on('connect', () => { const lines = ${JSON.stringify(input)}.split('|');
            lines.forEach((line, i) => setTimeout(() => !c.destroyed && c.write(line), i * 1000)); });
          c.on('close', () => process.exit(0)); setTimeout(() => process.exit(1), 60000);`;
        spawn('ip', ['netns', 'exec', t.netns.name, process.execPath, '-e', script]).once('exit', () =>
          resolve(Date.now() - start),
        );
      });
    const slowHeaders = Array.from({ length: 30 }, (_, i) => (i === 0 ? 'GET /metrics HTTP/1.1\r\n' : `x-${i}: y\r\n`));
    const control = net.createConnection(t.controlSocket);
    const controlStart = Date.now();
    const controlClosed = new Promise<number>((resolve) =>
      control.once('close', () => resolve(Date.now() - controlStart)),
    );
    const [idleMs, slowMs] = await Promise.all([heldFor(''), heldFor(slowHeaders.join('|'))]);
    const controlMs = await controlClosed;
    console.log(
      `      metrics: a silent client dropped after ${idleMs} ms, a slow one after ${slowMs} ms; ` +
        `a silent control client after ${controlMs} ms`,
    );
    assert.ok(idleMs < METRICS_HEADERS_TIMEOUT_MS + 3000, `${idleMs} ms`);
    assert.ok(slowMs < METRICS_HEADERS_TIMEOUT_MS + 3000, `${slowMs} ms`);
    assert.ok(controlMs >= idleTimeoutMs - 1000 && controlMs < idleTimeoutMs + 3000, `${controlMs} ms`);
  });

  it('logs a bounded amount for 300 refused requests over 30 reconnects of one uid, and counts the rest', async function () {
    const t = await lab.start(labConfig({ control: { mode: '0666' } }));
    fs.chmodSync(t.dir, 0o755);
    const logBefore = t.daemon!.log.length;
    // As nobody: 30 connections, 10 changes each (refused), every one with a 30 KB argument.
    const script = `
      const net = require('net');
      const line = JSON.stringify({ v: 1, op: 'switch', group: 'vm1', to: 'standby', pad: 'x'.repeat(30000) }) + '\\n';
      let left = 30;
      const next = () => {
        if (left-- === 0) return;
        const c = net.createConnection(${JSON.stringify(t.controlSocket)});
        let replies = 0;
        c.on('data', (d) => { replies += String(d).split('\\n').length - 1; if (replies >= 10) { c.destroy(); next(); } });
        c.on('connect', () => c.write(line.repeat(10)));
      };
      next();`;
    const asNobody = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '-e', script], {
      encoding: 'utf8',
      timeout: 60000,
    });
    assert.equal(asNobody.status, 0, asNobody.stderr);
    const written = () => t.daemon!.log.slice(logBefore);
    await waitFor('the count of refusals not logged', () => written().includes('refused requests not logged'), 15000);
    const lines = written().split('\n');
    const refusedLines = lines.filter((line) => line.includes('control request refused'));
    const summaries = lines
      .filter((line) => line.includes('refused requests not logged'))
      .map((line) => JSON.parse(line) as { suppressed: number; uid: number });
    const counted = summaries.reduce((sum, summary) => sum + summary.suppressed, 0);
    console.log(
      `      300 refused requests (30 KB each) over 30 connections: ${written().length} bytes of log, ` +
        `${refusedLines.length} refusals logged, ${counted} counted as not logged`,
    );
    assert.ok(refusedLines.length <= REFUSAL_LOG_BURST + 1, `${refusedLines.length} refusals logged`);
    assert.equal(refusedLines.length + counted, 300, 'every refusal logged or counted');
    assert.ok(summaries.every((summary) => summary.uid === 65534));
    assert.ok(written().length < 16 * 1024, `${written().length} bytes of log`);
    assert.equal((await t.groupStatus()).activePath, 'primary', 'nothing was switched');
  });
});
