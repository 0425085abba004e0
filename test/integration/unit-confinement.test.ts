// The systemd unit's confinement, tried on the real daemon without systemd as PID 1: the daemon
// runs with only the capabilities the unit keeps (setpriv's bounding set), and every system call
// it makes while serving a guest, failing over and stopping (traced by strace) must be one the
// unit's SystemCallFilter allows, or one the unit refuses knowingly.
import { strict as assert } from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { request } from '../../src/control/client';
import { allowedSystemCalls, unitValues } from '../../lab/systemd-unit';
import { labConfig } from '../../lab/topology';
import { waitFor, waitForRise } from '../../lab/wait';
import { topologyPerTest } from '../support/lab';

const UNIT = path.resolve(__dirname, '..', '..', '..', 'config', 'systemd', 'vhost-failover.service');
// Refused under the unit with EPERM (SystemCallErrorNumber), which their callers survive:
// net_virtio's plugin tries iopl() when EAL loads it.
const REFUSED_KNOWINGLY = new Set(['iopl']);

/** Syscall names from `strace -c` output, with their call and error counts. */
function tracedCalls(summary: string): Map<string, { calls: number; errors: number }> {
  const out = new Map<string, { calls: number; errors: number }>();
  for (const line of summary.split('\n')) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(\d+)?\s*(\w+)$/.exec(line);
    if (m && m[3] !== 'total') out.set(m[3], { calls: Number(m[1]), errors: Number(m[2] ?? 0) });
  }
  return out;
}

describe('the systemd unit, confinement on the real daemon (real DPDK, testpmd VM)', function () {
  this.timeout(120000);
  const lab = topologyPerTest();
  const unit = fs.readFileSync(UNIT, 'utf8');
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-confinement-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("serves a guest with only the unit's capabilities, making no system call its filter refuses", async function () {
    const caps = unitValues(unit, 'CapabilityBoundingSet')
      .flatMap((line) => line.split(' '))
      .map((cap) => `+${cap.replace(/^CAP_/, '').toLowerCase()}`);
    assert.ok(!caps.includes('+sys_admin') && !caps.includes('+sys_rawio'), caps.join(' '));
    const summary = path.join(dir, 'strace.txt');
    const wrapper = ['setpriv', '--bounding-set', ['-all', ...caps].join(','), 'strace', '-f', '-c', '-o', summary];
    const t = await lab.start(labConfig(), wrapper);
    const identity = await request(t.controlSocket, 'identity');
    const effective = /^CapEff:\s+([0-9a-f]+)/m.exec(fs.readFileSync(`/proc/${identity.pid}/status`, 'utf8'))![1];
    const sysAdmin = 21;
    assert.equal((BigInt(`0x${effective}`) >> BigInt(sysAdmin)) & 1n, 0n, `CapEff ${effective} holds CAP_SYS_ADMIN`);
    await t.startSender();
    await waitForRise('frames on the primary tap', () => t.netns.counters(t.primaryTap).rxPackets);
    t.netns.ip('link', 'set', t.primaryTap, 'down');
    await waitForRise('frames on the standby tap', () => t.netns.counters(t.standbyTap).rxPackets);
    // SIGTERM to node itself: strace, told to stop, would detach and leave the daemon running.
    process.kill(identity.pid, 'SIGTERM');
    assert.equal(await t.daemon!.exit(), 0, t.daemon!.log);
    await waitFor(
      'the strace summary',
      () => fs.existsSync(summary) && /total$/m.test(fs.readFileSync(summary, 'utf8')),
    );
    const traced = tracedCalls(fs.readFileSync(summary, 'utf8'));
    const allowed = allowedSystemCalls(unitValues(unit, 'SystemCallFilter').flatMap((line) => line.split(' ')));
    const outside = [...traced.keys()].filter((call) => !allowed.has(call));
    console.log(
      `      ${traced.size} distinct system calls made, ${[...traced.values()].reduce((n, c) => n + c.calls, 0)} in all; ` +
        `outside the filter: ${outside.map((call) => `${call} (${traced.get(call)!.calls}x)`).join(', ') || 'none'}`,
    );
    assert.deepEqual(
      outside.filter((call) => !REFUSED_KNOWINGLY.has(call)),
      [],
    );
  });
});
