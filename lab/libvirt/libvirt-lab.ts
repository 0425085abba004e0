// Two "hosts" on one machine, each a vhost-failover daemon and a libvirtd of its own, with the
// daemons' taps in the namespace's bridge (as two hypervisors reach one L2 segment), and the lab
// guest as a libvirt domain run by QEMU as libvirt-qemu:
//
//   domain ─ vhost-user ─ daemon A ─┬─ primary tap A ─┐
//     ⇣ virsh migrate              └─ standby tap A ─┤
//   domain ─ vhost-user ─ daemon B ─┬─ primary tap B ─┼─ br0 (netns)
//                                   └─ standby tap B ─┘
//
// Each daemon runs as the packaged unit would have it: vhost.mode client (QEMU creates the
// socket: libvirt's mode='server'), the sockets QEMU makes in a directory of their own,
// 1770 root:libvirt-qemu, and the control socket where only root writes.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { validateConfig, type Config } from '../../src/config';
import { DaemonProcess } from '../daemon-process';
import { GUEST_IMAGE, GUEST_RAM_KIB, QemuVm, guestKernelCommandLine } from '../qemu-vm';
import { GUEST_IP, Topology, labConfig, tapName } from '../topology';
import { waitFor } from '../wait';
import { domainXml } from './domain-xml';
import { Libvirtd, qemuUserIds } from './libvirtd';

export const DOMAIN = 'vf-libvirt-vm1';
const DOMAIN_UUID = 'c0ffee00-0000-4000-8000-0000000000f1';

export interface LibvirtHost {
  name: 'A' | 'B';
  daemon: DaemonProcess;
  libvirtd: Libvirtd;
  /** The 1770 root:libvirt-qemu directory of QEMU's sockets. */
  qemuSocketDir: string;
  primaryTap: string;
}

/**
 * A one-group lab config whose sockets are QEMU's (vhost.mode client) in `<dir>/qemu`, made
 * 1770 root:libvirt-qemu; the config's directory becomes 0755 so that QEMU reaches it, while the
 * control socket in it keeps its 0600.
 */
function hostConfig(workerCpu: number): { config: Config; qemuSocketDir: string } {
  const base = labConfig({ workerCpu });
  const dir = path.dirname(base.control.socket);
  fs.chmodSync(dir, 0o755);
  const qemuSocketDir = path.join(dir, 'qemu');
  fs.mkdirSync(qemuSocketDir);
  fs.chownSync(qemuSocketDir, 0, qemuUserIds().gid);
  fs.chmodSync(qemuSocketDir, 0o1770);
  const [group] = base.groups;
  const config = validateConfig({
    ...base,
    groups: [
      {
        ...group,
        vhost: { socket: path.join(qemuSocketDir, 'vm1.sock'), mode: 'client' },
        qmp: { socket: path.join(qemuSocketDir, 'vm1.qmp'), device: 'net0' },
      },
    ],
  });
  return { config, qemuSocketDir };
}

export class LibvirtLab {
  private constructor(
    readonly topology: Topology,
    readonly hosts: { A: LibvirtHost; B: LibvirtHost },
    /** The guest's kernel, initramfs and console, where libvirt-qemu may read them. */
    readonly guestDir: string,
  ) {}

  /** The namespace and bridge, daemons A and B (each on a worker CPU of its own), a libvirtd beside each. */
  static async start(): Promise<LibvirtLab> {
    const cpus = os.cpus().length;
    const a = hostConfig(cpus - 1);
    const topology = await Topology.start(a.config);
    const started: Array<{ stop(): Promise<unknown> }> = [];
    try {
      const b = hostConfig(Math.max(0, cpus - 2));
      const dirB = path.dirname(b.config.control.socket);
      const daemonB = await DaemonProcess.start(b.config, dirB, topology.netns);
      started.push({ stop: () => daemonB.stop().finally(() => fs.rmSync(dirB, { recursive: true, force: true })) });
      // Each libvirtd's host_uuid differs: libvirt refuses a migration between two hosts with the same.
      const libvirtdA = await Libvirtd.start(
        path.join(topology.dir, 'libvirt'),
        'a0e1b2c3-0000-4000-8000-00000000000a',
      );
      started.push(libvirtdA);
      const libvirtdB = await Libvirtd.start(path.join(dirB, 'libvirt'), 'b0e1b2c3-0000-4000-8000-00000000000b');
      started.push(libvirtdB);
      QemuVm.buildImage();
      const guestDir = path.join(topology.dir, 'guest');
      fs.mkdirSync(guestDir, { mode: 0o755 });
      // Copies: libvirt's DAC driver re-owns a domain's kernel and initramfs while it runs.
      fs.copyFileSync(GUEST_IMAGE.kernel, path.join(guestDir, 'vmlinuz'));
      fs.copyFileSync(GUEST_IMAGE.initrd, path.join(guestDir, 'initramfs.cpio.gz'));
      const host = (
        name: 'A' | 'B',
        daemon: DaemonProcess,
        libvirtd: Libvirtd,
        config: Config,
        qemuSocketDir: string,
      ) => ({
        name,
        daemon,
        libvirtd,
        qemuSocketDir,
        primaryTap: tapName(config.groups[0].primary.devargs),
      });
      return new LibvirtLab(
        topology,
        {
          A: host('A', topology.daemon!, libvirtdA, a.config, a.qemuSocketDir),
          B: host('B', daemonB, libvirtdB, b.config, b.qemuSocketDir),
        },
        guestDir,
      );
    } catch (err) {
      for (const part of started.reverse()) await part.stop().catch(() => undefined);
      await topology.stop();
      throw err;
    }
  }

  get consoleLog(): string {
    return path.join(this.guestDir, 'console.log');
  }

  /** The domain's XML on `host`: its sockets are that host's. `multicast`: a group the guest joins. */
  domainXml(host: LibvirtHost, multicast?: string): string {
    return domainXml({
      name: DOMAIN,
      uuid: DOMAIN_UUID,
      mac: this.topology.group.mac,
      vhostSocket: path.join(host.qemuSocketDir, 'vm1.sock'),
      qmpSocket: path.join(host.qemuSocketDir, 'vm1.qmp'),
      kernel: path.join(this.guestDir, 'vmlinuz'),
      initrd: path.join(this.guestDir, 'initramfs.cpio.gz'),
      cmdline: guestKernelCommandLine({ address: `${GUEST_IP}/24`, multicast }),
      consoleLog: this.consoleLog,
      // libvirt rounds it up to 257 MiB (whole MiB): a multiple of 256 KiB again, which QEMU 7.2's
      // TCG dirty tracking mishandles once a migration takes 4 or more passes (qemu-vm.ts).
      ramKiB: GUEST_RAM_KIB,
    });
  }

  /** Writes `host`'s domain XML beside its libvirtd and returns the file. */
  writeDomainXml(host: LibvirtHost, multicast?: string): string {
    const file = path.join(host.libvirtd.dir, `${DOMAIN}.xml`);
    fs.writeFileSync(file, this.domainXml(host, multicast));
    return file;
  }

  /**
   * A migration's destination XML, as an operator makes it: the running domain's migratable XML
   * (`virsh dumpxml --migratable`, which holds what libvirt filled in: the memory rounded up to
   * whole MiB, the UUID, the PCI addresses) with `to`'s sockets in place of the source's.
   */
  async destinationXml(to: LibvirtHost): Promise<string> {
    const from = to === this.hosts.A ? this.hosts.B : this.hosts.A;
    const xml = await from.libvirtd.virsh('dumpxml', '--migratable', DOMAIN);
    const file = path.join(to.libvirtd.dir, `${DOMAIN}.migrate.xml`);
    fs.writeFileSync(file, xml.split(from.qemuSocketDir + '/').join(to.qemuSocketDir + '/'));
    return file;
  }

  console(): string {
    try {
      return fs.readFileSync(this.consoleLog, 'utf8');
    } catch {
      return '';
    }
  }

  async waitForConsole(marker: string, timeoutMs = 120000): Promise<void> {
    await waitFor(`the guest to print ${marker}`, () => this.console().includes(marker), timeoutMs, 100);
  }

  async stop(): Promise<void> {
    const problems: string[] = [];
    for (const host of [this.hosts.A, this.hosts.B])
      await host.libvirtd.stop().catch((err: Error) => problems.push(`libvirtd ${host.name}: ${err.message}`));
    const dirB = path.dirname(this.hosts.B.daemon.controlSocket);
    await this.hosts.B.daemon.stop().catch((err: Error) => problems.push(`daemon B: ${err.message}`));
    fs.rmSync(dirB, { recursive: true, force: true });
    await this.topology.stop().catch((err: Error) => problems.push(`topology: ${err.message}`));
    if (problems.length > 0) throw new Error(problems.join('; '));
  }
}
