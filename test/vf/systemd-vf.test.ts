// The packaged unit (config/systemd/vhost-failover.service) under a booted systemd: the VF lab's
// L1 host boots the host's own /lib/systemd/systemd as PID 1 (lab/vf/l1-systemd-init.sh), the
// unit is installed there as an operator installs it, with VF 0 (readied by prepare-vf, bound to
// vfio-pci) as the primary and a tap standby, and systemd runs it: readiness, the sandbox with a
// VF and vfio, a testpmd guest's frames on the PF's wire, the watchdog, reload and stop.
// Not part of the default suite: `npm run test:vf`.
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { waitFor } from '../../lab/wait';
import { L1Control } from '../../lab/vf/l1-control';
import { useVfLab } from '../../lab/vf/l1-fixture';
import { L1_CHECKOUT, L1_CTL_DIR } from '../../lab/vf/l1-vm';
import { pciDriver } from '../../lab/vf/sriov';

const UNIT = 'vhost-failover.service';
const GUEST_MAC = '52:54:00:00:0f:02';
const RUNTIME_DIR = '/run/vhost-failover';
/** CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_NET_ADMIN, CAP_IPC_LOCK: the unit's bounding set, bits 0, 1, 12, 14. */
const UNIT_CAPABILITIES = 0x5003n;

describe('the packaged systemd unit under systemd as PID 1, with a real SR-IOV VF as its primary', function () {
  this.timeout(600000);
  const lab = useVfLab({ name: 'vf-systemd', guestMac: GUEST_MAC, pid1: 'systemd' });
  let control: L1Control;

  const groupConfig = (announceRounds: number) => ({
    dataplane: { filePrefix: 'vhost-failover', workerCpus: [1], mbufs: 8191 },
    control: { socket: `${RUNTIME_DIR}/control.sock` },
    groups: [
      {
        name: 'vm1',
        mac: GUEST_MAC,
        vhost: { socket: `${RUNTIME_DIR}/vm1.sock`, mode: 'server' },
        primary: { devargs: lab.pf.vfs[0] },
        standby: { devargs: 'net_tap0,iface=sb0' },
        announce: { rounds: announceRounds },
      },
    ],
  });
  /** Writes the unit's config file in L1 (JSON is YAML). */
  const writeConfig = (content: string) => {
    fs.writeFileSync(path.join(lab.l1.ctlDir, 'config.yaml'), content);
    return lab.l1.runOk(`install -D -m 0600 ${L1_CTL_DIR}/config.yaml /etc/vhost-failover/config.yaml`);
  };
  /** A property of the unit as systemctl shows it. */
  const unitProperty = async (name: string) => (await lab.l1.runOk(`systemctl show -P ${name} ${UNIT}`)).trim();
  const journal = () => lab.l1.runOk(`journalctl -u ${UNIT} -o cat --no-pager`);
  before(function () {
    control = new L1Control(lab.l1, `${RUNTIME_DIR}/control.sock`);
    lab.onFailure(async () => {
      const status = await lab.l1.run(
        `systemctl status --no-pager ${UNIT}; journalctl -u ${UNIT} -o cat --no-pager | tail -60`,
      );
      return `the unit:\n${status.stdout}${status.stderr}`;
    });
    lab.onTeardown(() => lab.l1.run(`systemctl stop ${UNIT}`, 60000));
  });

  it("boots the host's systemd as L1's PID 1", async function () {
    assert.strictEqual((await lab.l1.runOk('readlink /proc/1/exe')).trim(), '/usr/lib/systemd/systemd');
    const state = (await lab.l1.run('systemctl is-system-running')).stdout.trim();
    const failedUnits = (await lab.l1.runOk('systemctl --failed --plain --no-legend')).trim();
    console.log(`      systemd's state: ${state}; failed units: ${failedUnits || 'none'}`);
  });

  it('installs the packaged unit and reaches active once the daemon says READY=1 (Type=notify)', async function () {
    // /opt/vhost-failover is where the unit runs the daemon from: this checkout, as it is built,
    // mounted there (a symlink would lead where the unit cannot look: under /root with
    // ProtectHome=, or to L1_CHECKOUT's alias under /tmp with PrivateTmp=).
    await lab.l1.runOk(
      `mkdir -p /opt/vhost-failover && mount --bind "$(readlink -f ${L1_CHECKOUT})" /opt/vhost-failover && ` +
        `install -m 0644 ${L1_CHECKOUT}/config/systemd/vhost-failover.service /etc/systemd/system/ && ` +
        'systemctl daemon-reload',
    );
    await writeConfig(JSON.stringify(groupConfig(5), null, 2));
    // systemctl start returns once the unit is active: for Type=notify, after READY=1.
    await lab.timed('systemctl start', () => lab.l1.runOk(`systemctl start ${UNIT}`, 120000));
    assert.strictEqual(await unitProperty('ActiveState'), 'active');
    assert.strictEqual(await unitProperty('SubState'), 'running');
    const statusText = await unitProperty('StatusText');
    console.log(`      active after ${lab.timingsS['systemctl start']} s; status: "${statusText}"`);
    assert.deepStrictEqual(await control.request('groups'), ['vm1']);
  });

  it('runs sandboxed: its capabilities, its system call filter and device policy, and VF 0 under vfio works', async function () {
    const pid = await unitProperty('MainPID');
    const procStatus = await lab.l1.runOk(`cat /proc/${pid}/status`);
    const field = (name: string) => procStatus.match(new RegExp(`^${name}:\\s*(\\S+)`, 'm'))![1];
    assert.strictEqual(BigInt(`0x${field('CapEff')}`), UNIT_CAPABILITIES, 'CapEff');
    assert.strictEqual(BigInt(`0x${field('CapBnd')}`), UNIT_CAPABILITIES, 'CapBnd');
    assert.strictEqual(field('Seccomp'), '2', 'a seccomp filter is installed');
    assert.strictEqual(field('NoNewPrivs'), '1');
    // The device policy applies to every process of the unit's cgroup: a shell moved into it may
    // open what DeviceAllow= names and nothing else.
    const cgroup = `/sys/fs/cgroup${await unitProperty('ControlGroup')}`;
    const inUnit = (command: string) => lab.l1.run(`sh -c 'echo $$ >${cgroup}/cgroup.procs && exec ${command}'`);
    const tun = await inUnit('true </dev/net/tun');
    const kmsg = await inUnit('head -c 1 /dev/kmsg');
    console.log(`      in the unit's cgroup: /dev/net/tun opens (${tun.code}); /dev/kmsg: "${kmsg.stderr.trim()}"`);
    assert.strictEqual(tun.code, 0, tun.stderr);
    assert.notStrictEqual(kmsg.code, 0, 'DevicePolicy=closed refuses /dev/kmsg');
    assert.match(kmsg.stderr, /Operation not permitted/);
    // VF 0 through vfio: its container and group device are what the policy lets through.
    assert.strictEqual(await pciDriver(lab.l1, lab.pf.vfs[0]), 'vfio-pci');
    const vfioFiles = await lab.l1.runOk(`ls -l /proc/${pid}/fd | grep -o '/dev/vfio/.*' | sort -u`);
    console.log(`      the daemon holds ${vfioFiles.trim().split('\n').join(', ')}`);
    assert.match(vfioFiles, /\/dev\/vfio\/vfio/);
    await waitFor(
      'the group on VF 0',
      async () => (await control.request('status'))[0].activePath === 'primary',
      60000,
      1000,
    );
  });

  it("carries a testpmd guest's frames through VF 0 onto the PF's wire", async function () {
    await lab.startGuest('txonly', {
      socket: `${RUNTIME_DIR}/vm1.sock`,
      peerMac: '02:00:00:00:0b:02',
      txIp: ['198.18.0.2', '198.18.0.99'],
    });
    const frames = await lab.wireFramesIn(5000);
    console.log(`      the wire carried ${Math.round(frames / 5)} frames/s from VF 0`);
    assert.ok(frames > 1000, `the wire saw ${frames} frames in 5 s`);
    assert.strictEqual((await control.request('status'))[0].activePath, 'primary');
    await lab.stopGuest();
  });

  it('reloads a good file (systemctl reload) and refuses a bad one, systemctl failing, the old config kept', async function () {
    const execReload = await unitProperty('ExecReload');
    console.log(`      ExecReload: ${execReload.match(/argv\[\]=([^;]*)/)?.[1].trim()}`);
    await writeConfig(JSON.stringify(groupConfig(3), null, 2));
    const good = await lab.timed('systemctl reload (good)', () => lab.l1.run(`systemctl reload ${UNIT}`, 60000));
    assert.strictEqual(good.code, 0, good.stderr);
    assert.match(await journal(), /configuration reloaded/);
    assert.strictEqual(await unitProperty('ActiveState'), 'active');

    const pid = await unitProperty('MainPID');
    try {
      await writeConfig('groups: [ this is not a config\n');
      const bad = await lab.timed('systemctl reload (bad)', () => lab.l1.run(`systemctl reload ${UNIT}`, 60000));
      const refusal = (await journal()).split('\n').filter((line) => line.includes('YAML syntax error'));
      console.log(
        `      systemctl reload with a bad file exited ${bad.code}: "${bad.stderr.trim()}"; ` +
          `the journal:\n        ${refusal.join('\n        ')}`,
      );
      assert.notStrictEqual(bad.code, 0, 'systemctl reload fails on a file the daemon refuses');
      assert.ok(refusal.length > 0, "the daemon's refusal is in the journal");
      assert.strictEqual(await unitProperty('ActiveState'), 'active');
      assert.strictEqual(await unitProperty('MainPID'), pid, 'the same daemon runs on');
      assert.strictEqual((await control.request('status'))[0].activePath, 'primary');
    } finally {
      // A restart (the watchdog's, below) must find a good file.
      await writeConfig(JSON.stringify(groupConfig(3), null, 2));
    }
  });

  it('is fed by the watchdog while it runs, and killed and restarted when it stops feeding it', async function () {
    assert.strictEqual(await unitProperty('WatchdogUSec'), '10s');
    const fed = async () => Number(await unitProperty('WatchdogTimestampMonotonic'));
    const first = await fed();
    await waitFor('a later watchdog feed', async () => (await fed()) > first, 15000, 1000);
    const pid = await unitProperty('MainPID');
    const stoppedAt = Date.now();
    await lab.l1.runOk(`kill -STOP ${pid}`);
    await waitFor(
      'systemd to restart the unit',
      async () => {
        const now = await unitProperty('MainPID');
        return now !== pid && now !== '0' && (await unitProperty('ActiveState')) === 'active';
      },
      180000,
      2000,
    );
    lab.timingsS['watchdog kill to active again'] = (Date.now() - stoppedAt) / 1000;
    // systemd's own messages go to L1's console (lab/vf/l1-systemd-init.sh: --log-target=console).
    const verdict = lab.l1
      .console()
      .split('\n')
      .filter((line) => /vhost-failover.service: (Watchdog|Killing|Main|Failed)/.test(line));
    console.log(`      systemd:\n        ${verdict.join('\n        ')}`);
    assert.ok(verdict.some((line) => line.includes('Watchdog timeout (limit 10s)')));
    assert.ok(verdict.some((line) => line.includes("Failed with result 'watchdog'")));
    assert.strictEqual(await unitProperty('NRestarts'), '1');
    await waitFor(
      'the restarted group on VF 0',
      async () => (await control.request('status'))[0].activePath === 'primary',
      60000,
      1000,
    );
  });

  it('stops on systemctl stop: exit 0, its sockets gone, no hugepage files, VF 0 still on vfio-pci', async function () {
    await lab.timed('systemctl stop', () => lab.l1.runOk(`systemctl stop ${UNIT}`, 60000));
    assert.strictEqual(await unitProperty('ActiveState'), 'inactive');
    assert.strictEqual(await unitProperty('Result'), 'success');
    assert.strictEqual(await unitProperty('ExecMainStatus'), '0');
    assert.strictEqual((await lab.l1.runOk(`ls ${RUNTIME_DIR}`)).trim(), '');
    assert.strictEqual((await lab.l1.runOk('ls /dev/hugepages')).trim(), '');
    assert.strictEqual(await pciDriver(lab.l1, lab.pf.vfs[0]), 'vfio-pci');
  });
});
