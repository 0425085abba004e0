// SR-IOV in the L1 host, as an operator sets it up on a real one: the kernel's igb driver takes
// the emulated 82576 (the PF), the PF goes up (its VFs read "PF still resetting" otherwise), VFs
// are created through sysfs (82576 VFs, 8086:10ca) and one is handed to vfio-pci for DPDK.
import type { L1Vm } from './l1-vm';

export interface SriovPf {
  /** The PF's PCI address and its kernel interface. */
  pci: string;
  netdev: string;
  /** The VFs' PCI addresses, VF 0 first. */
  vfs: string[];
}

const PF_ID = '0x8086:0x10c9';
export const VF_ID = '0x8086:0x10ca';

/** Loads igb, sets the PF up and creates `count` VFs. */
export async function createVfs(l1: L1Vm, count = 2): Promise<SriovPf> {
  const script = `
set -e
modprobe igb
for dev in /sys/bus/pci/devices/*; do
  [ "$(cat $dev/vendor):$(cat $dev/device)" = ${PF_ID} ] && pf=$(basename $dev) && break
done
[ -n "$pf" ] || { echo "no 82576 PF" >&2; exit 1; }
i=0; while [ ! -d /sys/bus/pci/devices/$pf/net ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
netdev=$(ls /sys/bus/pci/devices/$pf/net)
ip link set $netdev up
echo ${count} >/sys/bus/pci/devices/$pf/sriov_numvfs
vfs=$(for n in $(seq 0 $((${count} - 1))); do basename $(readlink -f /sys/bus/pci/devices/$pf/virtfn$n); done)
echo $pf $netdev $vfs`;
  const [pci, netdev, ...vfs] = (await l1.runOk(script, 120000)).trim().split(/\s+/);
  return { pci, netdev, vfs };
}

/** Binds a VF to vfio-pci (driver_override, so nothing else takes it on a later probe). */
export async function bindVfio(l1: L1Vm, vf: string): Promise<void> {
  const dev = `/sys/bus/pci/devices/${vf}`;
  await l1.runOk(
    `set -e
modprobe vfio-pci
echo vfio-pci >${dev}/driver_override
[ ! -e ${dev}/driver ] || echo ${vf} >${dev}/driver/unbind
echo ${vf} >/sys/bus/pci/drivers_probe
[ "$(basename $(readlink -f ${dev}/driver))" = vfio-pci ]
ls /dev/vfio/$(basename $(readlink -f ${dev}/iommu_group))`,
    60000,
  );
}

/** The PF's view of its VFs (ip link show: MAC, trust, spoof checking, link state per VF). */
export function pfVfInfo(l1: L1Vm, pf: SriovPf): Promise<string> {
  return l1.runOk(`ip link show ${pf.netdev}`);
}
