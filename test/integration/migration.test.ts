// Live migration of a running Linux guest (QEMU under TCG) from one daemon to another whose
// uplinks reach the same bridge, as two hypervisors reach one L2 segment: the guest's memory
// stays intact while the daemon writes into it during the copy (the vhost-user dirty log), the
// bridge moves the guest's MAC to the destination on the destination daemon's own announcement,
// and the source lets the guest go. Pings every 10 ms measure the network's gap against QEMU's
// own downtime.
import { strict as assert } from 'assert';
import os from 'os';
import path from 'path';
import { MigrationLab, migrationOutage, type MigrationHost } from '../../lab/migration';
import { describeMigration, formatMigrationSoak, runMigrationSoak } from '../../lab/migration-soak';
import { Pinger } from '../../lab/ping-gaps';
import { StreamSender } from '../../lab/stream-sender';
import { BRIDGE, GUEST_IP } from '../../lab/topology';
import { waitFor } from '../../lab/wait';

const SINK_PORT = 5001;
const STREAM_BYTES_PER_S = 1 << 20;
/** Migrations in the repeated test; the full count is the soak's (`npm run soak -- --migrations 20`). */
const MIGRATIONS = 6;
/**
 * A slow copy with a tight downtime limit: with the stream running, each migration takes 4 or 5
 * dirty-bitmap passes, the case where QEMU 7.2 under TCG lost pages of a 256 MiB guest.
 */
const BUSY_GUEST_MIGRATION = { 'max-bandwidth': 32 * 2 ** 20, 'downtime-limit': 10 };

async function mbufsInUse(host: MigrationHost): Promise<number> {
  return (await host.daemon.stats()).mbufsInUse;
}

describe('live migration (real DPDK, two daemons, a Linux guest under TCG)', function () {
  this.timeout(600000);
  let lab: MigrationLab | undefined;
  let pinger: Pinger | undefined;
  let sender: StreamSender | undefined;

  afterEach(async function () {
    await pinger?.abandon().catch(() => undefined);
    await sender?.stop().catch(() => undefined);
    await lab?.stop();
    [lab, pinger, sender] = [undefined, undefined, undefined];
  });

  it('moves a running guest to the other daemon with the data it received intact, the bridge following at once', async function () {
    lab = await MigrationLab.start({ sinkPort: SINK_PORT });
    const { A, B } = lab.hosts;
    const baselineA = await mbufsInUse(A);
    await lab.boot();
    pinger = Pinger.start(lab.topology.netns.name, GUEST_IP);
    await waitFor('pings through daemon A', () => pinger!.replies() >= 20, 30000);
    // A stream into the guest from before the migration to after it: frames the daemon writes
    // into guest memory during the copy must reach the destination (QEMU sends again the pages
    // the dirty log marks).
    sender = StreamSender.start(lab.topology.netns.name, GUEST_IP, SINK_PORT, STREAM_BYTES_PER_S);
    await waitFor('the stream to flow', async () => (await A.daemon.stats()).groups.vm1.rxPackets.primary > 500, 30000);
    const timeline = await lab.migrate();
    const after = pinger.replies();
    await waitFor('pings through daemon B', () => pinger!.replies() >= after + 50, 30000);
    const gaps = await pinger.stop(migrationOutage(timeline));
    pinger = undefined;
    console.log(`      ${describeMigration(timeline, gaps)}`);

    const sent = await sender.stop();
    sender = undefined;
    const vm = lab.vm!;
    await waitFor('the guest to print its MD5', () => /GUEST-SINK md5=[0-9a-f]{32}/.test(vm.console()), 60000);
    const received = /GUEST-SINK md5=([0-9a-f]{32})/.exec(vm.console())![1];
    console.log(
      `      stream: ${sent.bytes} bytes sent with md5 ${sent.md5}; the guest, after the migration: ${received}`,
    );
    assert.equal(received, sent.md5, 'the guest received other bytes than were sent');

    // The network followed the guest: B's own RARP was on its primary's wire and the bridge
    // learned the guest's MAC there; A sent nothing for a guest it no longer had.
    assert.ok(timeline.firstAnnouncementAtMs !== undefined, "no RARP on the destination's primary");
    assert.ok(timeline.rounds.destination >= 1, 'daemon B sent no announcement round');
    assert.equal(timeline.rounds.source, 0, 'daemon A announced a guest that had left');
    assert.equal(lab.topology.netns.learnedPort(BRIDGE, lab.topology.group.mac), B.primaryTap);
    assert.equal(gaps.lostElsewhere, 0, 'pings lost outside the migration');
    // The source let the guest go, every mbuf back.
    const [statusA] = await A.daemon.status();
    assert.equal(statusA.guestConnected, false);
    assert.equal(statusA.announcing, false);
    await waitFor('daemon A mbufs back at the baseline', async () => (await mbufsInUse(A)) === baselineA);
  });

  for (const qemu of ['system', '10'] as const) {
    it(`migrates one guest back and forth ${MIGRATIONS} times on QEMU ${qemu === 'system' ? "the system's" : qemu}, its RAM identical on both sides each time and nothing growing in either daemon (QEMU's SEND_RARP, no guest announce)`, async function () {
      // If pings stop, what the daemons and the guest were doing is kept for whoever reads the failure.
      const diagnosticsDir = path.join(
        os.tmpdir(),
        `vhost-failover-migration-${new Date().toISOString().replace(/[:.]/g, '-')}`,
      );
      const summary = await runMigrationSoak(MIGRATIONS, (line) => console.log(`      ${line}`), {
        diagnosticsDir,
        watchMs: 5000,
        streamBytesPerS: STREAM_BYTES_PER_S,
        guest: { qemu },
        migrationParameters: BUSY_GUEST_MIGRATION,
      });
      console.log(formatMigrationSoak(summary).replace(/^/gm, '      '));
      assert.equal(summary.migrations, MIGRATIONS);
      assert.equal(summary.ramChecked, MIGRATIONS, 'a migration went unchecked');
      assert.deepEqual(summary.strayLosses, [], 'pings lost outside a migration');
    });
  }
});
