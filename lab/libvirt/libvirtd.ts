// A libvirtd of the test's own, without systemd: Debian's packaged daemon (monolithic libvirtd,
// QEMU driver) run as root in a mount namespace of its own, where the test's directories are
// bound over /etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/log/libvirt and
// /var/cache/libvirt. So its config, sockets, domains, logs and QEMU capability cache are the
// test's, two of them can run side by side (a migration's source and destination "hosts", told
// apart by host_uuid), and nothing of a libvirt the machine may run is touched. QEMU runs as
// libvirt-qemu, as Debian's libvirt-daemon-system configures it.
import { execFile, spawn, spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { CollectedProcess } from '../collected-process';
import { waitFor } from '../wait';

/** The directories a privileged libvirtd has compiled in; each gets a directory of the instance's. */
const LIBVIRT_DIRS = {
  etc: '/etc/libvirt',
  run: '/run/libvirt',
  lib: '/var/lib/libvirt',
  log: '/var/log/libvirt',
  cache: '/var/cache/libvirt',
} as const;

export const QEMU_USER = 'libvirt-qemu';

/**
 * libvirtd makes libvirt/qemu on every hugetlbfs mounted (the host's /dev/hugepages too: a private
 * directory bound over it is refused) and leaves it; the lab's domains use memfd, not hugepages.
 */
const HUGEPAGES_DIR = '/dev/hugepages/libvirt';

/** libvirt-qemu's uid and primary gid. */
export function qemuUserIds(): { uid: number; gid: number } {
  const read = (flag: string) => {
    const id = spawnSync('id', [flag, QEMU_USER], { encoding: 'utf8' });
    if (id.status !== 0) throw new Error(`no user ${QEMU_USER}: ${id.stderr}`);
    return Number(id.stdout.trim());
  };
  return { uid: read('-u'), gid: read('-g') };
}

/** Why the libvirt test cannot run here, or undefined if it can. */
export function libvirtMissing(): string | undefined {
  if (!fs.existsSync('/usr/sbin/libvirtd')) return 'libvirtd is not installed (scripts/setup-lab installs it)';
  if (spawnSync('id', [QEMU_USER]).status !== 0) return `no ${QEMU_USER} user (scripts/setup-lab makes it)`;
  return undefined;
}

/**
 * qemu.conf: QEMU as libvirt-qemu; its stdout and stderr to a plain file (the default hands them
 * to virtlogd, which no service manager started); no cgroups and no per-domain /dev namespace
 * (this machine's cgroups are the sandbox's, and the lab's guest has no disks to put in /dev);
 * no MAC driver: AppArmor is not active on this machine (libvirt would find none anyway).
 */
const QEMU_CONF = `user = "${QEMU_USER}"
group = "${QEMU_USER}"
stdio_handler = "file"
cgroup_controllers = [ ]
namespaces = [ ]
security_driver = "none"
remember_owner = 0
`;

export class Libvirtd {
  /** What virsh and the libvirt API connect to: the system QEMU driver over this instance's socket. */
  readonly uri: string;
  private readonly daemon: CollectedProcess;

  private constructor(
    readonly dir: string,
    private readonly pid: number,
    child: ReturnType<typeof spawn>,
    /** None was there before this instance started: its stop removes the one libvirtd made. */
    private readonly madeHugepagesDir: boolean,
  ) {
    this.uri = `qemu:///system?socket=${path.join(dir, 'run', 'libvirt-sock')}`;
    this.daemon = new CollectedProcess(child);
  }

  /** Starts it in `dir` (made here, 0755 so that libvirt-qemu may reach the guest's files) and waits until it answers. */
  static async start(dir: string, hostUuid: string): Promise<Libvirtd> {
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    fs.chmodSync(dir, 0o755);
    for (const name of Object.keys(LIBVIRT_DIRS)) fs.mkdirSync(path.join(dir, name), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'etc', 'libvirtd.conf'),
      // Only root reaches the socket (its directory is root's); host_uuid tells two instances apart.
      `auth_unix_rw = "none"\nauth_unix_ro = "none"\nhost_uuid = "${hostUuid}"\n` +
        `log_outputs = "3:file:${path.join(dir, 'log', 'libvirtd.log')}"\n`,
    );
    fs.writeFileSync(path.join(dir, 'etc', 'qemu.conf'), QEMU_CONF);
    // The mount points themselves: empty directories where Debian's libvirt-daemon-system makes them.
    for (const target of Object.values(LIBVIRT_DIRS)) fs.mkdirSync(target, { recursive: true });
    const binds = [
      ...Object.entries(LIBVIRT_DIRS).map(([name, target]) => `mount --bind '${path.join(dir, name)}' ${target}`),
      // This machine's /dev/kvm opens but cannot run a guest (nested PVM): libvirt's capability
      // probe of QEMU with accel=kvm:tcg then hangs until libvirt gives up, about 56 s at every
      // define. Over /dev/null, KVM's first ioctl fails and QEMU probes TCG at once; the lab's
      // domains are type='qemu' (TCG) anyway.
      `{ [ ! -e /dev/kvm ] || mount --bind /dev/null /dev/kvm; }`,
    ].join(' && ');
    const madeHugepagesDir = !fs.existsSync(HUGEPAGES_DIR);
    const child = spawn(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        '--',
        'sh',
        '-c',
        `${binds} && exec libvirtd --pid-file '${path.join(dir, 'libvirtd.pid')}'`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // unshare and sh exec in place: the child's pid is libvirtd's.
    const libvirtd = new Libvirtd(dir, child.pid!, child, madeHugepagesDir);
    try {
      await waitFor(
        'libvirtd to answer',
        async () => {
          if (libvirtd.daemon.exited) throw new Error(`libvirtd exited: ${libvirtd.daemon.output}`);
          return (await libvirtd.virsh('version').catch(() => '')).includes('Running hypervisor');
        },
        60000,
        200,
      );
    } catch (err) {
      await libvirtd.stop();
      throw err;
    }
    return libvirtd;
  }

  /**
   * Runs virsh against this instance; rejects with virsh's own words. A define waits about 56 s on
   * this machine (libvirtd probes QEMU's capabilities and the probe does not complete): 5 minutes
   * leave room for a loaded machine.
   */
  virsh(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile('virsh', ['-c', this.uri, ...args], { timeout: 300000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`virsh ${args.join(' ')}: ${stderr.trim() || err.message}`));
        else resolve(stdout);
      });
    });
  }

  /** The QEMU driver's log of a domain (its command line, taints, QEMU's stderr). */
  domainLog(name: string): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'log', 'qemu', `${name}.log`), 'utf8');
    } catch {
      return '';
    }
  }

  /** The pid of a running domain's QEMU, from the driver's state directory. */
  qemuPid(name: string): number | undefined {
    try {
      return Number(fs.readFileSync(path.join(this.dir, 'run', 'qemu', `${name}.pid`), 'utf8').trim());
    } catch {
      return undefined;
    }
  }

  /**
   * Destroys the domains still running (their QEMUs outlive libvirtd otherwise), then SIGTERM,
   * SIGKILL if it hangs. Always by pid.
   */
  async stop(): Promise<void> {
    if (!this.daemon.exited) {
      const running = await this.virsh('list', '--name').catch(() => '');
      for (const name of running.split('\n').filter(Boolean)) {
        await this.virsh('destroy', name).catch(() => {
          const pid = this.qemuPid(name);
          if (pid) process.kill(pid, 'SIGKILL');
        });
      }
    }
    await this.daemon.stop('SIGTERM', 15000, `libvirtd ${this.pid}`);
    if (this.madeHugepagesDir) fs.rmSync(HUGEPAGES_DIR, { recursive: true, force: true });
  }
}
