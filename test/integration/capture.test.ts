// The capture op on real DPDK: a testpmd guest's frames mirrored to a pcap file in the daemon's
// capture directory, bounded by time and by size, through the control op and the CLI; nothing
// is captured unless asked.
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { request } from '../../src/control/client';
import type { CaptureReport } from '../../src/dataplane';
import { captureDirectory } from '../../src/group/group-capture';
import { frameMacs, readPcap } from '../../lab/pcap-file';
import { runInNetns } from '../../lab/netns';
import { GUEST_IP, type Topology } from '../../lab/topology';
import { waitFor } from '../../lab/wait';
import { topologyPerTest } from '../support/lab';

const CLI = path.resolve(__dirname, '..', '..', 'src', 'cli.js');

async function captureEnded(t: Topology): Promise<CaptureReport> {
  return waitFor(
    'the capture to end',
    async () => {
      const report = await request(t.controlSocket, 'capture-status', { group: 'vm1' });
      return report && !report.running ? report : undefined;
    },
    20000,
    50,
  );
}

describe('capture (real DPDK)', function () {
  this.timeout(120000);
  const lab = topologyPerTest();

  it("mirrors a group's frames both ways to a pcap file for the time asked, and captures nothing unless asked", async function () {
    const t = await lab.start();
    assert.equal(await request(t.controlSocket, 'capture-status', { group: 'vm1' }), null, 'no capture by default');
    assert.ok(!fs.existsSync(captureDirectory(t.controlSocket)), 'no capture directory before the first capture');
    // Pings every 10 ms: requests reach the guest from an uplink, its replies leave through one.
    await t.startVm('icmpecho');
    const ping = runInNetns(t.netns.name, ['ping', '-c', '400', '-i', '0.01', '-W', '1', GUEST_IP]);
    await waitFor('pings answered', async () => (await t.groupStats()).txPackets.primary > 10);
    const startedAt = Date.now();
    const started = await request(t.controlSocket, 'capture', { group: 'vm1', seconds: 2 });
    assert.equal(path.dirname(started.file), captureDirectory(t.controlSocket));
    assert.equal(fs.statSync(path.dirname(started.file)).mode & 0o777, 0o700);
    const report = await captureEnded(t);
    const tookMs = Date.now() - startedAt;
    await ping;
    const pcap = readPcap(report.file);
    const macs = pcap.records.map((record) => frameMacs(record.data));
    const fromGuest = macs.filter((frame) => frame.source === t.group.mac).length;
    const toGuest = macs.filter((frame) => frame.destination === t.group.mac).length;
    console.log(
      `      2 s capture: ${report.framesWritten} frames (${fromGuest} from the guest, ${toGuest} to it, ` +
        `${report.framesDropped} not captured), ${report.bytesWritten} bytes, ended after ${tookMs} ms (${report.ended})`,
    );
    assert.equal(report.ended, 'time');
    assert.ok(tookMs >= 2000 && tookMs < 5000, `took ${tookMs} ms`);
    assert.equal(pcap.linktype, 1, 'Ethernet');
    assert.equal(pcap.records.length, report.framesWritten);
    assert.equal(fs.statSync(report.file).size, report.bytesWritten);
    assert.equal(fs.statSync(report.file).mode & 0o777, 0o600);
    assert.ok(fromGuest > 100 && toGuest > 100, `${fromGuest} frames from the guest, ${toGuest} to it`);
    const spanUs = pcap.records[pcap.records.length - 1].timeUs - pcap.records[0].timeUs;
    assert.ok(spanUs > 1.5e6 && spanUs <= 2.1e6, `frames span ${spanUs} us`);
    const tcpdump = spawnSync('tcpdump', ['-r', report.file, '-n', '-c', '2'], { encoding: 'utf8' });
    if (tcpdump.status === 0) console.log(`      tcpdump -r: ${tcpdump.stdout.trim().split('\n').join(' | ')}`);
  });

  it('stops at the size asked, through the CLI, and refuses a second capture of a group while one runs', async function () {
    const t = await lab.start();
    await t.startSender();
    await waitFor('frames from the guest', async () => (await t.groupStats()).guestDequeued > 1000);
    const running = await request(t.controlSocket, 'capture', { group: 'vm1', seconds: 30, maxBytes: 1 << 20 });
    await assert.rejects(request(t.controlSocket, 'capture', { group: 'vm1' }), /a capture of vm1 is running/);
    await captureEnded(t);
    const cli = spawnSync(
      process.execPath,
      [CLI, 'capture', 'vm1', '--socket', t.controlSocket, '--seconds', '30', '--max-bytes', '4000', '--json'],
      { encoding: 'utf8', timeout: 40000 },
    );
    assert.equal(cli.status, 0, cli.stderr);
    const report = JSON.parse(cli.stdout) as CaptureReport;
    assert.notEqual(report.file, running.file);
    console.log(
      `      4000-byte capture: ${report.framesWritten} frames, ${report.bytesWritten} bytes (${report.ended})`,
    );
    assert.equal(report.ended, 'size');
    assert.ok(report.bytesWritten <= 4000 && report.bytesWritten > 4000 - 16 - 64, `${report.bytesWritten} bytes`);
    assert.equal(readPcap(report.file).records.length, report.framesWritten);
  });
});
