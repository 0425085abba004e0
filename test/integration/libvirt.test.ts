// libvirt for real: Debian's libvirtd (started by the test, without systemd) runs the lab guest
// from the domain XML the operator docs show, QEMU as libvirt-qemu with its sockets in a
// 1770 root:libvirt-qemu directory, on a real daemon. Traffic passes, the primary is pulled, the
// guest's receive filter is mirrored through a second QMP monitor (<qemu:commandline>, which taints
// the domain), and `virsh migrate --live` moves it to a second libvirtd and daemon.
import { strict as assert } from 'assert';
import fs from 'fs';
import { request } from '../../src/control/client';
import type { GroupStatusReply } from '../../src/control/protocol';
import { DOMAIN, LibvirtLab, type LibvirtHost } from '../../lab/libvirt/libvirt-lab';
import { QEMU_USER, libvirtMissing, qemuUserIds } from '../../lab/libvirt/libvirtd';
import { runInNetns } from '../../lab/netns';
import { GUEST_IP } from '../../lab/topology';
import { waitFor } from '../../lab/wait';

const GROUP_ADDRESS = '01:00:5e:01:02:03';

async function groupStatus(host: LibvirtHost): Promise<GroupStatusReply> {
  const [reply] = (await request(host.daemon.controlSocket, 'status', { group: 'vm1' })) as GroupStatusReply[];
  return reply;
}

/** Sent and answered echo requests of a finished ping. */
function pingSummary(output: string): { sent: number; received: number } {
  const match = /(\d+) packets transmitted, (\d+) received/.exec(output);
  assert.ok(match, `ping summary missing:\n${output}`);
  return { sent: Number(match[1]), received: Number(match[2]) };
}

describe('libvirt (real libvirtd and DPDK, the documented domain under TCG)', function () {
  this.timeout(600000);
  let lab: LibvirtLab | undefined;

  before(async function () {
    const missing = libvirtMissing();
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    const startedAt = Date.now();
    lab = await LibvirtLab.start();
    console.log(`      two daemons and two libvirtds up in ${Date.now() - startedAt} ms`);
  });

  after(async function () {
    await lab?.stop();
  });

  it('boots the domain as libvirt-qemu on the daemon, mirrors its receive filter, and keeps it answering through a pulled primary', async function () {
    const { A } = lab!.hosts;
    const defineStartedAt = Date.now();
    await A.libvirtd.virsh('define', lab!.writeDomainXml(A, GROUP_ADDRESS));
    const bootStartedAt = Date.now();
    console.log(`      virsh define: ${bootStartedAt - defineStartedAt} ms`);
    await A.libvirtd.virsh('start', DOMAIN);
    await lab!.waitForConsole('GUEST-READY');
    console.log(`      virsh start to the guest's eth0 up: ${Date.now() - bootStartedAt} ms`);

    const pid = A.libvirtd.qemuPid(DOMAIN);
    assert.ok(pid, 'no QEMU pid in the driver state');
    assert.equal(fs.statSync(`/proc/${pid}`).uid, qemuUserIds().uid, `QEMU runs as ${QEMU_USER}`);
    const log = A.libvirtd.domainLog(DOMAIN);
    const taints = [...log.matchAll(/is tainted: (\S+)/g)].map((match) => match[1]);
    console.log(`      taints: ${taints.join(', ')}`);
    assert.ok(taints.includes('custom-argv'), 'the second QMP monitor (<qemu:commandline>) taints the domain');

    const synced = await waitFor(
      "the guest's multicast list on the uplinks",
      async () => {
        const reply = await groupStatus(A);
        return reply.guestRxFilter?.filter.multicast.includes(GROUP_ADDRESS) && reply;
      },
      30000,
    );
    console.log(`      the guest's multicast list on the uplinks ${Date.now() - bootStartedAt} ms after virsh start`);
    assert.equal(synced.guestRxFilter!.qmp, 'connected');
    assert.equal(synced.primary.rxFilter.multicast, `list of ${synced.guestRxFilter!.filter.multicast.length}`);

    const { netns } = lab!.topology;
    const ping = runInNetns(netns.name, ['ping', '-c', '300', '-i', '0.01', '-W', '1', GUEST_IP]);
    await waitFor(
      'pings through the primary',
      async () => (await lab!.topology.groupStats()).txPackets.primary >= 50,
      30000,
    );
    netns.setLink(A.primaryTap, 'down');
    await lab!.topology.waitForActivePath('standby');
    const { sent, received } = pingSummary(await ping);
    const stats = await lab!.topology.groupStats();
    console.log(
      `      pings lost across the failover: ${sent - received} of ${sent}; replies on the primary ${stats.txPackets.primary}, on the standby ${stats.txPackets.standby}`,
    );
    console.log(`      virsh start to the failover's last ping: ${Date.now() - bootStartedAt} ms`);
    assert.ok(stats.txPackets.standby > 0, 'replies must leave on the standby');
    assert.ok(sent - received <= 5, `lost ${sent - received} pings`);
    netns.setLink(A.primaryTap, 'up');
    await lab!.topology.waitForActivePath('primary', 10000);
  });

  it('migrates the running domain to a second libvirtd and daemon with virsh migrate --live', async function () {
    const { A, B } = lab!.hosts;
    assert.ok((await A.libvirtd.virsh('list', '--name')).includes(DOMAIN), 'the domain runs on A (the test before)');
    const { netns } = lab!.topology;
    const ping = runInNetns(netns.name, ['ping', '-c', '1500', '-i', '0.01', '-W', '1', GUEST_IP]);
    await waitFor('pings through A', async () => (await lab!.topology.groupStats()).txPackets.primary >= 50, 30000);
    const startedAt = Date.now();
    // The destination's XML is the source's migratable XML with B's sockets: on one machine each
    // daemon has its own. The copy
    // goes over loopback, on a port the destination's libvirtd picks (qemu.conf's
    // migration_address may not be a local address: libvirtd refuses 127.0.0.1 there).
    await A.libvirtd.virsh(
      'migrate',
      '--live',
      DOMAIN,
      B.libvirtd.uri,
      '--xml',
      await lab!.destinationXml(B),
      '--migrateuri',
      'tcp://127.0.0.1',
      '--listen-address',
      '127.0.0.1',
    );
    const migrationMs = Date.now() - startedAt;
    // QEMU's own figures as libvirt kept them (downtime, memory passes): libvirt rounds the guest's
    // RAM up to 257 MiB, a multiple of 256 KiB, on which QEMU 7.2 under TCG may lose dirty pages
    // once a migration takes 4 or more passes (lab/qemu-vm.ts).
    const job = await A.libvirtd.virsh('domjobinfo', '--completed', DOMAIN).catch((err: Error) => err.message);
    console.log(
      `      ${job
        .split('\n')
        .filter((line) => /downtime|iteration|Time elapsed:/i.test(line))
        .map((line) => line.replace(/\s+/g, ' ').trim())
        .join('; ')}`,
    );
    assert.ok((await B.libvirtd.virsh('list', '--name')).includes(DOMAIN), 'the domain runs on B');
    assert.ok(!(await A.libvirtd.virsh('list', '--name')).includes(DOMAIN), 'the domain left A');
    await waitFor('daemon B to see the guest', async () => (await groupStatus(B)).guestConnected, 30000);
    const during = pingSummary(await ping);
    // Pings after the move: answered, and the replies leave through daemon B.
    const after = pingSummary(await runInNetns(netns.name, ['ping', '-c', '50', '-i', '0.02', '-W', '1', GUEST_IP]));
    const throughB = (await B.daemon.stats()).groups.vm1.txPackets;
    console.log(
      `      virsh migrate --live: ${migrationMs} ms; pings during it lost ${during.sent - during.received} of ` +
        `${during.sent}; after it ${after.received} of ${after.sent} answered, ${throughB.primary + throughB.standby} frames of the guest through B`,
    );
    assert.ok(
      after.received >= after.sent - 2,
      `only ${after.received} of ${after.sent} pings answered after the migration`,
    );
    assert.ok(throughB.primary + throughB.standby >= after.received, "the guest's replies leave through daemon B");
    assert.equal((await groupStatus(A)).guestConnected, false, 'daemon A let the guest go');
  });
});
