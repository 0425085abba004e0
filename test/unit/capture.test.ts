// The capture op through the real Daemon, control server and client on the fake addon: where the
// file goes, the limits' defaults and ranges, the refusals, and the CLI's summary. What the
// workers copy and the file holds is tested on real DPDK (test/integration/capture.test.ts).
import { strict as assert } from 'assert';
import fs from 'fs';
import path from 'path';
import { request } from '../../src/control/client';
import { formatCapture } from '../../src/cli/format-capture';
import { captureDirectory, captureFileName } from '../../src/group/group-capture';
import { fakeDaemonPerTest } from '../support/fake-daemon';

describe('capture (fake addon, no DPDK)', function () {
  const f = fakeDaemonPerTest();

  it("starts a capture into a new file of the daemon's own directory, with the default limits", async function () {
    assert.equal(await request(f.socket, 'capture-status', { group: 'vm1' }), null);
    const report = await request(f.socket, 'capture', { group: 'vm1' });
    const dir = captureDirectory(f.socket);
    assert.equal(dir, path.join(path.dirname(f.socket), 'captures'));
    assert.equal(path.dirname(report.file), dir);
    assert.match(path.basename(report.file), /^vm1-\d{8}T\d{9}Z\.pcap$/);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.deepEqual(f.addon.captures.get('vm1')!.limits, { durationMs: 10000, maxBytes: 10485760, snaplen: 65535 });
    assert.deepEqual(await request(f.socket, 'capture-status', { group: 'vm1' }), report);
  });

  it('refuses limits out of range, an unknown group, and a directory others may read', async function () {
    await assert.rejects(
      request(f.socket, 'capture', { group: 'vm1', seconds: 0 }),
      /"seconds" must be an integer from 1 to 3600/,
    );
    await assert.rejects(
      request(f.socket, 'capture', { group: 'vm1', maxBytes: 10 }),
      /"maxBytes" must be an integer from 24/,
    );
    await assert.rejects(request(f.socket, 'capture', { group: 'vm1', snaplen: 1.5 }), /"snaplen" must be an integer/);
    await assert.rejects(request(f.socket, 'capture', { group: 'vm9' }), /no group "vm9"/);
    fs.mkdirSync(captureDirectory(f.socket), { mode: 0o755 });
    fs.chmodSync(captureDirectory(f.socket), 0o755);
    await assert.rejects(request(f.socket, 'capture', { group: 'vm1' }), /must be the daemon's alone/);
  });

  it('names files by group and time, and prints where the file is and why it ended', function () {
    assert.equal(
      captureFileName('/run/x/captures', 'vm1', new Date('2026-12-06T14:00:01.250Z')),
      '/run/x/captures/vm1-20261206T140001250Z.pcap',
    );
    const text = formatCapture('vm1', {
      file: '/run/x/captures/vm1.pcap',
      running: false,
      ended: 'size',
      framesWritten: 49,
      framesDropped: 3,
      bytesWritten: 3944,
    });
    assert.equal(
      text,
      'vm1: 49 frames, 3944 bytes, 3 not captured (the capture fell behind); ended (size)\n/run/x/captures/vm1.pcap\n',
    );
  });
});
