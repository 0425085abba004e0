// Faults at start-up and shutdown, on the real daemon: each host or config fault gives one line
// on stderr naming it and the fix, an exit status a service manager can act on (78: fix the
// config; 1: the host, try again), no stack trace, and nothing left behind; a signal at any
// moment of a start, an attach or a detach stops it cleanly; a daemon killed outright comes back
// on the same config.
import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { validateConfig, type Config } from '../../src/config';
import { request } from '../../src/control/client';
import { DaemonProcess } from '../../lab/daemon-process';
import { Netns } from '../../lab/netns';
import { labConfig } from '../../lab/topology';
import { waitFor } from '../../lab/wait';
import { topologyPerTest } from '../support/lab';

/** labConfig with changes to the dataplane, control or group sections. */
function configWith(change: (config: Config) => object): Config {
  return validateConfig(change(labConfig()));
}

interface Leftovers {
  files: string[];
  links: string[];
  hugepageFiles: string[];
}

function leftovers(config: Config, netns: Netns): Leftovers {
  const sockets = [config.control.socket, ...config.groups.map((group) => group.vhost.socket)];
  const hugepages = fs.existsSync('/dev/hugepages') ? fs.readdirSync('/dev/hugepages') : [];
  return {
    files: sockets.filter((file) => fs.existsSync(file)),
    links: netns
      .ip('-o', 'link', 'show')
      .split('\n')
      .map((line) => line.split(':')[1]?.trim())
      .filter((name) => name && name !== 'lo'),
    hugepageFiles: hugepages.filter((file) => file.startsWith(config.dataplane.filePrefix)),
  };
}

const NOTHING: Leftovers = { files: [], links: [], hugepageFiles: [] };

/** A cgroup with its own cpuset (v1's cpuset hierarchy, or v2 with the cpuset controller). */
class CpusetCgroup {
  private constructor(private readonly dir: string) {}

  /** null when the kernel offers no cpuset to make one in. */
  static make(cpus: string): CpusetCgroup | null {
    const name = `vf-test-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
    if (fs.existsSync('/sys/fs/cgroup/cpuset/cpuset.cpus')) {
      const dir = path.join('/sys/fs/cgroup/cpuset', name);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'cpuset.mems'), fs.readFileSync('/sys/fs/cgroup/cpuset/cpuset.mems'));
      fs.writeFileSync(path.join(dir, 'cpuset.cpus'), cpus);
      return new CpusetCgroup(dir);
    }
    const controllers = '/sys/fs/cgroup/cgroup.controllers';
    if (fs.existsSync(controllers) && fs.readFileSync(controllers, 'utf8').split(/\s+/).includes('cpuset')) {
      fs.writeFileSync('/sys/fs/cgroup/cgroup.subtree_control', '+cpuset');
      const dir = path.join('/sys/fs/cgroup', name);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'cpuset.cpus'), cpus);
      return new CpusetCgroup(dir);
    }
    return null;
  }

  /** Runs the command after it in this cgroup (inside the namespace). */
  get wrapper(): string[] {
    return ['sh', '-c', `echo $$ > ${this.dir}/cgroup.procs && exec "$@"`, 'sh'];
  }

  remove(): void {
    fs.rmdirSync(this.dir);
  }
}

describe('start-up faults: one line, an exit status, nothing left (real DPDK)', function () {
  this.timeout(60000);
  let netns: Netns | undefined;
  const dirs: string[] = [];

  afterEach(() => {
    netns?.dispose();
    netns = undefined;
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Runs the daemon on `config` in a fresh namespace until it exits by itself. With a cgroup to
   * run in, outside the namespace: `ip netns exec` mounts a sysfs of its own, without the cgroup
   * hierarchies (the daemon stops before it makes a tap).
   */
  async function runToExit(config: Config, cgroup?: CpusetCgroup) {
    netns = new Netns('vf-start');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-start-'));
    // labConfig's directory holds the vhost socket; a fault may have moved the control socket
    // below a file in it (which rmSync of that path would leave behind).
    dirs.push(dir, path.dirname(config.control.socket), path.dirname(config.groups[0].vhost.socket));
    const daemon = DaemonProcess.launch(config, dir, cgroup ? undefined : netns, {}, cgroup?.wrapper);
    const status = await daemon.exit();
    const lines = daemon.stderr.trim().split('\n');
    assert.ok(!/^\s+at /m.test(daemon.stderr), `no stack trace:\n${daemon.stderr}`);
    return { status, lines, left: leftovers(config, netns), log: daemon.log };
  }

  const faults: Array<{ name: string; config: () => Config; cpuset?: string; status: number; line: RegExp }> = [
    {
      name: 'a worker CPU the host does not have',
      config: () => configWith((c) => ({ ...c, dataplane: { ...c.dataplane, workerCpus: [64] } })),
      status: 78,
      line: /dataplane\.workerCpus: CPU 64 does not exist on this host \(CPUs 0-\d+\); name CPUs it has$/,
    },
    {
      name: 'a worker CPU outside the cgroup cpuset the daemon runs in',
      config: () => configWith((c) => ({ ...c, dataplane: { ...c.dataplane, workerCpus: [1] } })),
      cpuset: '0',
      status: 78,
      line: /dataplane\.workerCpus: CPU 1 is outside the daemon's cgroup cpuset \(0; AllowedCPUs= in a systemd unit\)/,
    },
    {
      name: 'too few hugepages for the mbuf pool',
      config: () => configWith((c) => ({ ...c, dataplane: { ...c.dataplane, mbufs: 1048575 } })),
      status: 1,
      line: /^vhost-failover: \d+ MiB of hugepages free, about \d+ MiB needed \(dataplane\.mbufs 1048575\); reserve more/,
    },
    {
      name: 'a control socket directory that cannot be made',
      config: () =>
        configWith((c) => {
          const blocker = path.join(path.dirname(c.control.socket), 'a-file');
          fs.writeFileSync(blocker, '');
          return { ...c, control: { ...c.control, socket: path.join(blocker, 'control.sock') } };
        }),
      status: 78,
      line: /^vhost-failover: cannot use configuration control\.socket: cannot make \S+\/a-file: a file that is not a directory is in the way \(EEXIST\); choose a control\.socket/,
    },
    {
      name: 'a vhost socket directory that cannot be made (requireAllGroups)',
      config: () =>
        configWith((c) => {
          const blocker = path.join(path.dirname(c.control.socket), 'a-file');
          fs.writeFileSync(blocker, '');
          const group = { ...c.groups[0], vhost: { ...c.groups[0].vhost, socket: path.join(blocker, 'vm1.sock') } };
          return { ...c, startup: { requireAllGroups: true }, groups: [group] };
        }),
      status: 1,
      line: /^vhost-failover: group "vm1": vhost port: cannot make \S+\/a-file: a file that is not a directory is in the way \(EEXIST\); choose a vhost\.socket/,
    },
    {
      name: 'a standby PCI device the host does not have (requireAllGroups)',
      config: () =>
        configWith((c) => ({
          ...c,
          startup: { requireAllGroups: true },
          groups: [{ ...c.groups[0], standby: { devargs: '0000:ff:1f.7' } }],
        })),
      status: 1,
      line: /^vhost-failover: group "vm1": standby port: cannot probe device "0000:ff:1f.7": .* \(there is no PCI device 0000:ff:1f.7 on this host/,
    },
    {
      name: 'a standby that cannot open (requireAllGroups)',
      config: () =>
        configWith((c) => ({
          ...c,
          startup: { requireAllGroups: true },
          groups: [{ ...c.groups[0], standby: { devargs: 'net_af_packet1,iface=nosuchif1' } }],
        })),
      status: 1,
      line: /^vhost-failover: group "vm1": standby port: cannot probe device "net_af_packet1,iface=nosuchif1"/,
    },
  ];

  for (const fault of faults)
    it(`${fault.name}: exit ${fault.status}`, async function () {
      const cpuset = fault.cpuset === undefined ? undefined : CpusetCgroup.make(fault.cpuset);
      if (cpuset === null) this.skip(); // no cpuset controller on this kernel
      let outcome;
      try {
        outcome = await runToExit(fault.config(), cpuset);
      } finally {
        cpuset?.remove();
      }
      const { status, lines, left, log } = outcome;
      assert.equal(status, fault.status, log);
      assert.equal(lines.length, 1, `one line on stderr, not:\n${lines.join('\n')}`);
      assert.match(lines[0], fault.line);
      assert.deepEqual(left, NOTHING);
    });

  it('starts without hugetlbfs mounted (EAL runs --in-memory), and stops leaving nothing', async function () {
    const config = labConfig();
    netns = new Netns('vf-start');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-start-'));
    dirs.push(dir, path.dirname(config.control.socket));
    // A mount namespace of its own, where /dev/hugepages is not mounted; the host's is untouched.
    const unmounted = [
      'unshare',
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      'umount -l /dev/hugepages 2>/dev/null; exec "$@"',
      'sh',
    ];
    const daemon = await DaemonProcess.start(config, dir, netns, {}, unmounted);
    const [status] = await daemon.status();
    assert.equal(status.standby.present && status.primary.present, true);
    assert.equal(await daemon.stop(), 0, daemon.log);
    assert.deepEqual(leftovers(config, netns), NOTHING);
  });
  it('warns, and starts, when something else keeps its worker CPU busy', async function () {
    const config = labConfig();
    const cpu = config.dataplane.workerCpus[0];
    const hog = spawn('taskset', ['-c', String(cpu), process.execPath, '-e', 'for (;;) {}'], { stdio: 'ignore' });
    try {
      netns = new Netns('vf-start');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-start-'));
      dirs.push(dir, path.dirname(config.control.socket));
      await waitFor('the hog to run', () => fs.existsSync(`/proc/${hog.pid}/stat`));
      const daemon = await DaemonProcess.start(config, dir, netns);
      await daemon.waitForLog(new RegExp(`worker CPU ${cpu}: other processes used \\d+% of it`), 5000);
      assert.equal(await daemon.stop(), 0, daemon.log);
    } finally {
      hog.kill('SIGKILL');
    }
  });
});

describe('start-up faults: signals at every step (real DPDK)', function () {
  this.timeout(90000);
  const lab = topologyPerTest();

  for (const moment of [
    { name: 'as it starts', log: undefined },
    { name: 'during EAL start-up', log: /starting the data plane/ },
    { name: 'while its group opens', log: /"group ready"|group ready/ },
  ])
    it(`stops cleanly on SIGTERM ${moment.name}`, async function () {
      const config = labConfig();
      const netns = new Netns('vf-start');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-start-'));
      try {
        const daemon = DaemonProcess.launch(config, dir, netns);
        if (moment.log) await daemon.waitForLog(moment.log);
        daemon.signal('SIGTERM');
        const status = await daemon.exit();
        // Before Node has set its handlers, SIGTERM's default action ends it: nothing made yet.
        assert.ok(status === 0 || (status === null && !moment.log), `exit ${status}:\n${daemon.log}`);
        assert.ok(!/^\s+at /m.test(daemon.stderr), daemon.stderr);
        assert.deepEqual(leftovers(config, netns), NOTHING);
      } finally {
        netns.dispose();
        fs.rmSync(dir, { recursive: true, force: true });
        fs.rmSync(path.dirname(config.control.socket), { recursive: true, force: true });
      }
    });

  for (const change of ['detach', 'attach'] as const)
    it(`stops cleanly on SIGTERM during a slow ${change}`, async function () {
      const t = await lab.start(labConfig({ faultInjection: true }));
      if (change === 'attach') await request(t.controlSocket, 'detach', { group: 'vm1' });
      // The ports' driver calls stall: the change blocks in its driver call for 2 s.
      await request(t.controlSocket, 'inject-stall', { group: 'vm1', ms: 2000 });
      const reply = request(t.controlSocket, change, { group: 'vm1', devargs: t.group.primary.devargs }).catch(
        (err: Error) => err,
      );
      // In the change: the daemon's thread is in the driver call and answers nobody.
      await waitFor(
        `the daemon inside the ${change}`,
        async () =>
          await request(t.controlSocket, 'groups', {}, 200).then(
            () => false,
            () => true,
          ),
        5000,
      );
      t.daemon!.signal('SIGTERM');
      assert.equal(await t.daemon!.exit(), 0, t.daemon!.log);
      const answered = await reply;
      assert.ok(!(answered instanceof Error) || /closed|ECONNRESET|ended/.test(answered.message), String(answered));
      assert.deepEqual(leftovers(t.config, t.netns).files, []);
      assert.ok(!t.netns.hasLink(t.primaryTap) && !t.netns.hasLink(t.standbyTap), 'the taps went with the daemon');
    });
});
