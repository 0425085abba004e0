// The three parties the daemon talks to are not trusted (real DPDK, real peers): a guest that
// sends what it may not, a QEMU whose QMP misbehaves, control clients that are not root, send
// too much or spell devices dangerously, and a second daemon started by mistake.
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import fs from 'fs';
import net from 'net';
import path from 'path';
import { exchange, request } from '../../src/control/client';
import { MAX_CONNECTIONS, MAX_CONNECTIONS_PER_USER, RESERVED_CONNECTIONS } from '../../src/control/protocol';
import { cliAsUser } from '../../lab/as-user';
import { Capture } from '../../lab/capture';
import { HostileQmp } from '../../lab/hostile-qmp';
import { openLedger } from '../../lab/ledger';
import { BRIDGE, labConfig, type Topology } from '../../lab/topology';
import { waitFor, waitForRise } from '../../lab/wait';
import { topologyPerTest } from '../support/lab';

const CLI = path.resolve(__dirname, '..', '..', 'src', 'cli.js');

function cliIn(t: Topology, ...args: string[]) {
  const run = spawnSync('ip', ['netns', 'exec', t.netns.name, process.execPath, CLI, ...args], {
    encoding: 'utf8',
    timeout: 60000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr, pid: run.pid };
}

function rssKiB(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

describe('trust boundaries: the guest (real DPDK, testpmd VM)', function () {
  const lab = topologyPerTest();

  it('drops and counts frames from a foreign MAC and oversize chained frames, in the hot loop or in lib/vhost; nothing reaches the wire, legitimate traffic does', async function () {
    const t = await lab.start();
    const foreignMac = '52:54:00:00:0f:99';
    const ledger = await openLedger(t);
    const capture = await Capture.start(t.netns.name, BRIDGE, `ether src ${foreignMac} or greater 1600`);
    try {
      // The VM's port has a MAC that is not the group's: everything it sends is spoofed.
      const spoofer = await t.startVm('txonly', {
        mac: foreignMac,
        peerMac: t.bridgeMac,
        txIp: ['198.18.0.2', '198.18.0.99'],
      });
      await waitForRise('spoofed frames', async () => (await t.groupStats()).txDroppedSpoofed, 10000);
      await spoofer.stop();
      // Now a VM with the guest's own MAC. 1600-byte frames in two segments: the vhost port's linear
      // buffers copy each into one mbuf, and the hot loop refuses it as longer than the MTU.
      const vm = await t.startSender();
      await vm.command('stop');
      await t.trafficStopped();
      await vm.command('set txpkts 1024,576');
      await vm.command('start');
      await waitForRise('oversize frames', async () => (await t.groupStats()).txDroppedOversize, 10000);
      await vm.command('stop');
      await t.trafficStopped();
      // 6 KiB frames in three 2 KiB segments fit no mbuf: lib/vhost frees them, and the worker
      // counts them from the guest ring's index.
      await vm.command('set txpkts 2048,2048,2048');
      await vm.command('start');
      await waitForRise('frames dropped in vhost', async () => (await t.groupStats()).txDroppedInVhost, 10000);
      await vm.command('stop');
      await t.trafficStopped();
      // And legitimate 64-byte frames in between still arrive.
      await vm.command('set txpkts 64');
      await vm.command('start');
      await waitForRise('frames on the primary tap', () => t.netns.counters(t.primaryTap).rxPackets);
      await vm.command('stop');
      const books = await ledger.close('spoofed, oversize and good frames', { strict: false });
      const { spoofed, oversize, runt, in_vhost: inVhost } = books.droppedByCause;
      console.log(
        `      spoofed ${spoofed}, oversize ${oversize}, in vhost ${inVhost}, runt ${runt} dropped and counted; ` +
          `${books.arrived} good frames arrived; lost silently ${books.lostSilently}`,
      );
      assert.ok(spoofed > 1000 && oversize > 1000 && inVhost > 1000, JSON.stringify(books.droppedByCause));
      assert.equal(books.dropped, spoofed + oversize + inVhost, 'no other drops');
      assert.equal(books.lostSilently, 0);
      assert.ok(books.arrived > 1000);
      assert.deepEqual(capture.lines(), [], 'nothing spoofed or oversize on the bridge');
    } finally {
      capture.stop();
    }
  });

  it('lets a guest that routes send from other MACs when spoofCheck is off', async function () {
    const base = labConfig();
    const t = await lab.start({ ...base, groups: [{ ...base.groups[0], spoofCheck: false }] });
    await t.startVm('txonly', { mac: '52:54:00:00:0f:98', peerMac: t.bridgeMac, txIp: ['198.18.0.2', '198.18.0.99'] });
    await waitForRise('frames on the primary tap', () => t.netns.counters(t.primaryTap).rxPackets, 10000);
    assert.equal((await t.groupStats()).txDroppedSpoofed, 0);
  });

  for (const rx of ['failover', 'both'] as const) {
    const copies = rx === 'failover' ? 1 : 2;
    it(`delivers a broadcast on the shared segment to the guest ${copies === 1 ? 'once' : 'twice'} with rx: ${rx}`, async function () {
      const t = await lab.start(labConfig(rx === 'both' ? { rx } : {}));
      const vm = await t.startVm('rxonly');
      await t.waitForActivePath('primary');
      await t.announcementsDone();
      const before = await t.groupStats();
      const guestBefore = (await vm.counters()).rxPackets;
      // Nobody answers a broadcast ping here: ping's exit status says nothing.
      spawnSync('ip', [
        'netns',
        'exec',
        t.netns.name,
        'ping',
        '-b',
        '-c',
        '20',
        '-i',
        '0.01',
        '-W',
        '0.1',
        '198.18.0.255',
      ]);
      await waitFor(
        `the guest to count ${20 * copies} frames`,
        async () => (await vm.counters()).rxPackets >= guestBefore + 20 * copies,
      );
      const after = await t.groupStats();
      const got = (await vm.counters()).rxPackets - guestBefore;
      const standbyDropped = after.rxDroppedInactive.standby - before.rxDroppedInactive.standby;
      console.log(`      20 broadcasts, the guest got ${got}; the standby's copies dropped: ${standbyDropped}`);
      assert.equal(got, 20 * copies);
      assert.equal(standbyDropped, rx === 'failover' ? 20 : 0);
    });
  }
});

describe('trust boundaries: QEMU (real DPDK, a hostile QMP peer)', function () {
  this.timeout(180000);
  const lab = topologyPerTest();

  it('survives QMP lines that are not objects, 16 MiB lines, unanswered commands, bad replies and control characters, forwarding on, and resyncs', async function () {
    const t = await lab.start(labConfig({ qmp: true }));
    const script = ['not-an-object', 'null', 'huge-line', 'never-answer', 'bad-reply', 'control-character'] as const;
    const qmp = await HostileQmp.listen(t.group.qmp!.socket, [...script], {
      multicast: ['01:00:5e:01:02:03'],
      vlans: [0, 100],
    });
    try {
      const vm = await t.startSender();
      const synced = await waitFor(
        'the filter from the QMP peer that behaves',
        async () => {
          const [status] = await request(t.controlSocket, 'status');
          return status.guestRxFilter?.filter.multicast.includes('01:00:5e:01:02:03') && status;
        },
        90000,
        200,
      );
      console.log(
        `      QMP connections: ${qmp.connections.join(', ')}; resets ${synced.guestRxFilter!.resets}; ` +
          `VLANs ${synced.guestRxFilter!.filter.vlans.join(' ')}`,
      );
      assert.equal(synced.guestRxFilter!.resets, script.length);
      assert.deepEqual(qmp.connections.slice(0, script.length), [...script]);
      assert.ok(!t.daemon!.exited);
      await waitForRise('frames on the primary after the resets', () => t.netns.counters(t.primaryTap).rxPackets);
      for (const reason of [
        'not a JSON object',
        'longer than 1048576 bytes',
        'did not answer',
        'query-rx-filter reply',
        'holds a control character',
      ])
        assert.ok(t.daemon!.log.includes(reason), `no reset logged for: ${reason}`);
      await vm.command('stop');
    } finally {
      await qmp.close();
    }
  });
});

describe('trust boundaries: control clients (real DPDK)', function () {
  const lab = topologyPerTest();

  it('refuses devargs that open files, foreign drivers and paths carrying options, naming the rule; the file is untouched', async function () {
    const t = await lab.start();
    const victim = path.join(t.dir, 'victim.txt');
    fs.writeFileSync(victim, 'precious\n');
    await request(t.controlSocket, 'detach', { group: 'vm1' });
    const refusals: Array<[object, RegExp]> = [
      [
        { op: 'attach', group: 'vm1', devargs: `net_pcap0,tx_pcap=${victim}` },
        /option tx_pcap of net_pcap opens a file/,
      ],
      [{ op: 'attach', group: 'vm1', devargs: 'net_bonding0,mode=1' }, /not a device this daemon runs as an uplink/],
      [{ op: 'attach', group: 'vm1', devargs: 'net_af_packet0,iface=lo,evil=1' }, /net_af_packet has no option evil/],
      [
        {
          op: 'add-group',
          config: {
            name: 'vm2',
            mac: '52:54:00:00:0f:02',
            vhost: { socket: `${t.dir}/x.sock,tso=1` },
            primary: { devargs: 'net_tap8,iface=vfx' },
            standby: { devargs: 'net_tap9,iface=vfy' },
          },
        },
        /not a usable socket path/,
      ],
    ];
    for (const [args, expected] of refusals) {
      const { op, ...rest } = args as { op: 'attach' | 'add-group' };
      await assert.rejects(request(t.controlSocket, op, rest), expected);
    }
    assert.equal(fs.readFileSync(victim, 'utf8'), 'precious\n');
    assert.deepEqual(await request(t.controlSocket, 'groups'), ['vm1']);
    assert.equal((await t.groupStatus()).activePath, 'standby');
  });

  it("lets a non-root member of control.group read but not change, and logs every change with the peer's uid and pid", async function () {
    const t = await lab.start(labConfig({ control: { mode: '0660', group: 'nogroup' } }));
    fs.chmodSync(t.dir, 0o755); // only the socket's own mode and group may decide
    const asNobody = (...args: string[]) => cliAsUser('nobody', 'nogroup', args);
    const status = asNobody('status', '--socket', t.controlSocket);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /vm1\s+waiting\s+primary/);
    const denied = asNobody('switch', 'vm1', 'standby', '--socket', t.controlSocket);
    assert.equal(denied.status, 1);
    assert.match(denied.stderr, /permission denied \(EPERM\): "switch" changes the daemon, and uid 65534/);
    assert.equal((await t.groupStatus()).activePath, 'primary');

    const byRoot = cliIn(t, 'switch', 'vm1', 'standby', '--socket', t.controlSocket);
    assert.equal(byRoot.code, 0, byRoot.stderr);
    await waitFor('the change in the log', () => t.daemon!.log.includes('control: changed'));
    const changed = t.daemon!.log.split('\n').find((line) => line.includes('control: changed'))!;
    assert.match(changed, /"op":"switch"/);
    assert.match(changed, new RegExp(`"peer":\\{"pid":${byRoot.pid},"uid":0,"gid":0,"groups":\\[\\]\\}`));
    const refused = t.daemon!.log.split('\n').find((line) => line.includes('control request refused'))!;
    assert.match(refused, /"uid":65534/);
  });

  it('stays within a memory bound when a client writes 100,000 requests and never reads, and answers others meanwhile', async function () {
    const t = await lab.start();
    const { pid } = await request(t.controlSocket, 'identity');
    const before = rssKiB(pid);
    const flood = net.createConnection(t.controlSocket);
    await new Promise((resolve) => flood.once('connect', resolve));
    const line = '{"v":1,"op":"status"}\n';
    flood.write(line.repeat(100000)); // 2.2 MB, all queued at once; the daemon's replies are never read
    let peak = before;
    for (let i = 0; i < 20; i++) {
      peak = Math.max(peak, rssKiB(pid));
      const [status] = await request(t.controlSocket, 'status', {}, 2000);
      assert.equal(status.name, 'vm1');
      await new Promise((resolve) => setTimeout(resolve, 100)); // sampling the RSS over 2 s
    }
    flood.destroy();
    console.log(
      `      daemon RSS ${Math.round(before / 1024)} MiB before, at most ${Math.round(peak / 1024)} MiB while flooded`,
    );
    assert.ok(peak - before < 64 * 1024, `RSS grew by ${Math.round((peak - before) / 1024)} MiB`);
  });

  it('decodes a character split across two reads, and bounds the connections (more for operators)', async function () {
    const t = await lab.start();
    const socket = net.createConnection(t.controlSocket);
    await new Promise((resolve) => socket.once('connect', resolve));
    const bytes = Buffer.from('{"v":1,"op":"status","group":"vmé"}\n', 'utf8');
    const split = bytes.indexOf(0xc3) + 1; // between the two bytes of "é"
    const reply = new Promise<string>((resolve) => socket.once('data', (chunk) => resolve(chunk.toString('utf8'))));
    socket.write(bytes.subarray(0, split));
    await new Promise((resolve) => setTimeout(resolve, 50)); // two separate reads on the daemon's side
    socket.write(bytes.subarray(split));
    assert.match(await reply, /no group \\"vmé\\"/);
    socket.destroy();

    // Root may change the daemon: it has the reserved connections too, 40 in all.
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < MAX_CONNECTIONS + RESERVED_CONNECTIONS; i++) {
        const client = net.createConnection(t.controlSocket);
        await new Promise((resolve) => client.once('connect', resolve));
        held.push(client);
      }
      await waitFor('the daemon to refuse the next client', async () => {
        const reply = await exchange(t.controlSocket, '{"op":"groups"}', 1000).catch((err: Error) => err);
        return !(reply instanceof Error) && !reply.ok && reply.error.includes('too many control connections');
      });
    } finally {
      for (const client of held) client.destroy();
    }
    await waitFor('room again', async () => (await exchange(t.controlSocket, '{"op":"groups"}')).ok);
  });

  it('keeps one reading user from holding every connection: readers cannot lock operators out', async function () {
    const t = await lab.start(labConfig({ control: { mode: '0666' } }));
    fs.chmodSync(t.dir, 0o755);
    // As nobody: open connections until refused, and say how many were taken.
    const script = `
      const net = require('net');
      let open = 0;
      const next = () => {
        const c = net.createConnection(${JSON.stringify(t.controlSocket)});
        c.once('data', (d) => { console.log('refused after', open, String(d).trim()); process.exit(0); });
        c.once('connect', () => setTimeout(() => { if (!c.destroyed) { open++; next(); } }, 100));
      };
      next();`;
    const asNobody = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '-e', script], {
      encoding: 'utf8',
      timeout: 30000,
    });
    assert.match(
      asNobody.stdout,
      new RegExp(`refused after ${MAX_CONNECTIONS_PER_USER} .*too many control connections of uid 65534`),
    );
    const [status] = await request(t.controlSocket, 'status');
    assert.equal(status.name, 'vm1', 'root still gets in');
  });

  it('refuses to start a second daemon on the same config, naming the first; the first keeps its socket', async function () {
    const t = await lab.start();
    const { pid } = await request(t.controlSocket, 'identity');
    const second = cliIn(t, 'run', '--config', t.daemon!.configPath);
    assert.notEqual(second.code, 0);
    assert.match(
      second.stderr,
      new RegExp(`another vhost-failover \\(pid ${pid}, version .*\\) is listening on ${t.controlSocket}`),
    );
    assert.ok(fs.existsSync(t.controlSocket));
    assert.equal((await request(t.controlSocket, 'identity')).pid, pid);
    assert.ok(t.netns.hasLink(t.primaryTap), "the first daemon's taps are untouched");
  });
});

describe("trust boundaries: one group's slow driver call (real DPDK)", function () {
  const lab = topologyPerTest();

  it("does not delay another group's link check", async function () {
    const t = await lab.start(labConfig({ faultInjection: true }));
    const suffix = t.primaryTap.slice(3);
    await request(t.controlSocket, 'add-group', {
      config: {
        name: 'vm2',
        mac: '52:54:00:00:0f:02',
        vhost: { socket: path.join(t.dir, 'vm2.sock') },
        primary: { devargs: `net_tap2,iface=vfq${suffix}` },
        standby: { devargs: `net_tap3,iface=vfr${suffix}` },
      },
    });
    const standbyUp = async (group: string) => (await request(t.controlSocket, 'status', { group }))[0].standby.linkUp;
    await waitFor('both standbys up', async () => (await standbyUp('vm1')) && (await standbyUp('vm2')));
    // vm2's uplinks are stuck in a driver call (as a VF whose PF mailbox does not answer).
    await request(t.controlSocket, 'inject-stall', { group: 'vm2', ms: 3000 });
    const start = Date.now();
    t.netns.setLink(t.standbyTap, 'down');
    t.netns.setLink(`vfr${suffix}`, 'down');
    await waitFor('vm1 to see its standby down', async () => !(await standbyUp('vm1')), 2000, 5);
    const vm1Ms = Date.now() - start;
    assert.equal(await standbyUp('vm2'), true, "vm2's link is not read while its driver call hangs");
    await waitFor('vm2 to see its standby down after the stall', async () => !(await standbyUp('vm2')), 10000, 20);
    const vm2Ms = Date.now() - start;
    console.log(`      vm1 saw its link go down after ${vm1Ms} ms; vm2, stalled for 3000 ms, after ${vm2Ms} ms`);
    assert.ok(vm1Ms < 1000, `vm1 waited ${vm1Ms} ms`);
    assert.ok(vm2Ms >= 2500);
  });
});
