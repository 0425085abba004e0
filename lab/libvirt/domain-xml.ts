// The lab guest as a libvirt domain, written as the operator docs show it: an <interface
// type='vhostuser'> on the group's socket and shared memfd memory, plus what only the lab needs
// (TCG, the lab's kernel and initramfs, the console in a file, the NIC without MSI-X).

export interface DomainOptions {
  name: string;
  /** Fixed, so that a migration's destination XML (--xml) names the same domain. */
  uuid: string;
  mac: string;
  /** The vhost-user socket; QEMU creates it (libvirt's mode='server', the daemon's vhost.mode client). */
  vhostSocket: string;
  kernel: string;
  initrd: string;
  /** The guest kernel's command line (lab/qemu-guest/init.sh reads guest.* from it). */
  cmdline: string;
  /** ttyS0 goes here; lab/qemu-guest/init.sh reports its steps on it. */
  consoleLog: string;
  ramKiB: number;
  /** A second QMP monitor for the daemon (libvirt keeps its own to itself): taints the domain. */
  qmpSocket?: string;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;');
}

/** The domain's XML, as `virsh define` takes it. */
export function domainXml(options: DomainOptions): string {
  const attr = (text: string) => `'${escapeXml(text)}'`;
  const qmp = options.qmpSocket
    ? `  <qemu:commandline>
    <qemu:arg value='-qmp'/>
    <qemu:arg value=${attr(`unix:${options.qmpSocket},server=on,wait=off`)}/>
  </qemu:commandline>
`
    : '';
  return `<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>${escapeXml(options.name)}</name>
  <uuid>${escapeXml(options.uuid)}</uuid>
  <memory unit='KiB'>${options.ramKiB}</memory>
  <vcpu>1</vcpu>
  <memoryBacking>
    <source type='memfd'/>
    <access mode='shared'/>
  </memoryBacking>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>${escapeXml(options.kernel)}</kernel>
    <initrd>${escapeXml(options.initrd)}</initrd>
    <cmdline>${escapeXml(options.cmdline)}</cmdline>
  </os>
  <features>
    <acpi/>
  </features>
  <on_reboot>destroy</on_reboot>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='usb' model='none'/>
    <interface type='vhostuser'>
      <mac address=${attr(options.mac)}/>
      <source type='unix' path=${attr(options.vhostSocket)} mode='server'/>
      <model type='virtio'/>
      <driver queues='1'/>
    </interface>
    <serial type='file'>
      <source path=${attr(options.consoleLog)}/>
    </serial>
    <memballoon model='none'/>
  </devices>
${qmp}  <qemu:override>
    <!-- vectors=0 (legacy interrupts): with MSI-X, QEMU 7.2 under TCG segfaults when the guest
         starts a vhost-user NIC. Not needed under KVM. -->
    <qemu:device alias='net0'>
      <qemu:frontend>
        <qemu:property name='vectors' type='unsigned' value='0'/>
      </qemu:frontend>
    </qemu:device>
  </qemu:override>
</domain>
`;
}
