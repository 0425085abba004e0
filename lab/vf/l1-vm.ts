// The L1 host of the VF lab: QEMU 10 under TCG boots the lab's Debian guest kernel with the host's
// own filesystem as its root (read-only 9p under a tmpfs overlay, lab/vf/l1-initramfs-init.sh), so
// it runs this checkout, DPDK and Node as they are here. It has what a host with SR-IOV has: an
// emulated 82576 (igb) whose wire is a tap in the test's network namespace, counted there, and an
// IOMMU (Debian's kernel has no vfio no-IOMMU mode). Commands run in it through a second,
// read-write 9p share (lab/vf/l1-init.sh serves it): `await l1.run('cmd')`.
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { Netns } from '../netns';
import { waitFor } from '../wait';
import { qemu10Command } from './qemu10';

const CHECKOUT = path.resolve(__dirname, '..', '..', '..');
const KERNEL_DIR = path.join(CHECKOUT, 'build', 'lab', 'guest-kernel');
const IMAGE_DIR = path.join(CHECKOUT, 'build', 'lab', 'l1');

/**
 * The checkout as L1 and the commands run there name it: its own path where that is one word, else
 * a symlink to it in a directory of this process's own under /tmp (which L1 sees as the host's):
 * the kernel's command line and the shell commands sent to L1 would split a path with a space.
 */
export const L1_CHECKOUT = oneWordPath(CHECKOUT);

function oneWordPath(dir: string): string {
  if (/^[\w/.-]+$/.test(dir)) return dir;
  const aliasDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-checkout-'));
  process.on('exit', () => fs.rmSync(aliasDir, { recursive: true, force: true }));
  const alias = path.join(aliasDir, 'checkout');
  fs.symlinkSync(dir, alias);
  return alias;
}

/** L1's PID 1: the lab's own script, or the host's systemd readied by a script that becomes it. */
const L1_INIT = {
  script: path.join(L1_CHECKOUT, 'lab', 'vf', 'l1-init.sh'),
  systemd: path.join(L1_CHECKOUT, 'lab', 'vf', 'l1-systemd-init.sh'),
};
/** What the initramfs needs to mount the host's root: the rest loads from the root. */
const L1_BOOT_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'];
/** Where L1 mounts the control share; the same files are under `ctlDir` on the host. */
export const L1_CTL_DIR = '/run/l1ctl';

export interface L1Options {
  /** The console log and the control share go here. */
  dir: string;
  /** QEMU runs here, so the PF's wire (a tap QEMU creates) is born here. */
  netns: Netns;
  wireTap: string;
  /** The wires of further PFs, one more 82576 each (none unless given). */
  moreWireTaps?: string[];
  memoryMiB?: number;
  /** What runs as PID 1: the lab's script (the default, the quickest boot) or the host's systemd. */
  pid1?: keyof typeof L1_INIT;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A string as one word of a POSIX shell command. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * An emulated 82576 (the PF) for each wire. QEMU places an igb's 8 VFs on the PF's own bus at
 * devfn PF + 0x80 + 2i, so they span two slots 16 and 17 above the PF's: one PF goes where QEMU
 * puts it (as it always did), several go two slots apart from slot 4 so that no PF's VFs take
 * another's devfn.
 */
function pfArgs(wireTaps: string[]): string[] {
  return wireTaps.flatMap((tap, i) => {
    const addr = wireTaps.length > 1 ? `,addr=${(4 + 2 * i).toString(16)}.0` : '';
    return [
      ...['-netdev', `tap,id=wire${i},ifname=${tap},script=no,downscript=no,vhost=off`],
      ...['-device', `igb,netdev=wire${i}${addr}`],
    ];
  });
}

export class L1Vm {
  /** The control share on the host: L1's /run/l1ctl. */
  readonly ctlDir: string;
  private readonly consoleLog: string;
  private exited = false;
  private stderr = '';
  private nextId = 0;

  private constructor(
    private readonly child: ChildProcess,
    options: L1Options,
  ) {
    this.ctlDir = path.join(options.dir, 'ctl');
    this.consoleLog = path.join(options.dir, 'console.log');
    child.on('exit', () => (this.exited = true));
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  /** The L1 image: the lab's guest kernel with an initramfs that mounts the host's root. */
  static buildImage(): void {
    const built = spawnSync(
      path.join(CHECKOUT, 'lab', 'qemu-guest', 'build-initramfs.sh'),
      [KERNEL_DIR, IMAGE_DIR, path.join(CHECKOUT, 'lab', 'vf', 'l1-initramfs-init.sh'), ...L1_BOOT_MODULES],
      { encoding: 'utf8' },
    );
    if (built.status !== 0) throw new Error(`building the L1 image failed: ${built.stderr}`);
  }

  /** Boots L1 and resolves once it serves commands. */
  static async boot(options: L1Options): Promise<L1Vm> {
    L1Vm.buildImage();
    const ctlDir = path.join(options.dir, 'ctl');
    fs.mkdirSync(ctlDir, { recursive: true });
    const append = [
      'console=ttyS0',
      'quiet',
      'panic=-1',
      'intel_iommu=on',
      'iommu=pt',
      `l1.init=${L1_INIT[options.pid1 ?? 'script']}`,
    ];
    const { argv, env } = qemu10Command([
      ...['-machine', 'q35', '-accel', 'tcg', '-cpu', 'max', '-smp', '2', '-m', String(options.memoryMiB ?? 3072)],
      ...['-nodefaults', '-display', 'none', '-no-reboot'],
      // QEMU 10.0.2 registers the igb VFs' BARs as 32-bit: placed above 4 GiB, every VF register
      // reads 0. No 64-bit hole keeps every BAR below 4 GiB.
      ...['-global', 'q35-pcihost.pci-hole64-size=0'],
      ...['-device', 'intel-iommu,intremap=on,caching-mode=on,aw-bits=48'],
      ...['-kernel', path.join(IMAGE_DIR, 'vmlinuz'), '-initrd', path.join(IMAGE_DIR, 'initramfs.cpio.gz')],
      ...['-append', append.join(' '), '-serial', `file:${path.join(options.dir, 'console.log')}`],
      ...['-virtfs', 'local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap'],
      ...['-virtfs', `local,path=${ctlDir},mount_tag=l1ctl,security_model=passthrough`],
      ...pfArgs([options.wireTap, ...(options.moreWireTaps ?? [])]),
    ]);
    const child = spawn('ip', ['netns', 'exec', options.netns.name, ...argv], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const l1 = new L1Vm(child, options);
    try {
      const seen = await waitFor(
        'L1 to serve commands',
        () => (l1.exited ? 'exited' : fs.existsSync(path.join(ctlDir, 'ready')) && 'ready'),
        120000,
        100,
      );
      if (seen === 'exited') throw new Error(`QEMU exited: ${l1.stderr}\n${l1.console()}`);
    } catch (err) {
      await l1.stop();
      throw err;
    }
    return l1;
  }

  /** QEMU's process, or undefined once it exited. */
  get pid(): number | undefined {
    return this.exited ? undefined : this.child.pid;
  }

  console(): string {
    try {
      return fs.readFileSync(this.consoleLog, 'utf8');
    } catch {
      return '';
    }
  }

  /** Runs a shell command in L1 (as root) and resolves with its output; killed after timeoutMs. */
  async run(command: string, timeoutMs = 30000): Promise<RunResult> {
    const id = `${process.pid}-${this.nextId++}`;
    const timeoutS = Math.ceil(timeoutMs / 1000);
    const staged = path.join(this.ctlDir, `.${id}.sh`);
    fs.writeFileSync(staged, `# timeout-s ${timeoutS}\n${command}\n`);
    fs.renameSync(staged, path.join(this.ctlDir, 'cmd', `${id}.sh`));
    const out = (suffix: string) => path.join(this.ctlDir, 'out', `${id}.${suffix}`);
    // L1 kills the command at timeoutS; the margin covers a TCG guest slow to notice the file.
    const seen = await waitFor(
      `L1 to finish "${command}"`,
      () => (this.exited ? 'exited' : fs.existsSync(out('code')) && 'done'),
      timeoutMs + 15000,
      50,
    );
    if (seen === 'exited') throw new Error(`L1 exited while running "${command}": ${this.stderr}`);
    const result = {
      code: Number(fs.readFileSync(out('code'), 'utf8')),
      stdout: fs.readFileSync(out('stdout'), 'utf8'),
      stderr: fs.readFileSync(out('stderr'), 'utf8'),
    };
    for (const suffix of ['code', 'stdout', 'stderr']) fs.rmSync(out(suffix), { force: true });
    fs.rmSync(path.join(this.ctlDir, 'running', `${id}.sh`), { force: true });
    return result;
  }

  /** run(), and its stdout; a non-zero exit status is an error that says what it printed. */
  async runOk(command: string, timeoutMs?: number): Promise<string> {
    const result = await this.run(command, timeoutMs);
    if (result.code !== 0) {
      throw new Error(`L1: "${command}" exited ${result.code}:\n${result.stderr}${result.stdout}`);
    }
    return result.stdout;
  }

  /** SIGTERM, then SIGKILL; always by PID. Nothing in L1 needs saving. */
  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    try {
      await waitFor('L1 to exit', () => this.exited, 10000);
    } catch {
      this.child.kill('SIGKILL');
      await waitFor('L1 to exit on SIGKILL', () => this.exited, 5000);
    }
  }
}
