// SR-IOV in the L1 host, as an operator sets it up on a real one: the kernel's igb driver takes
// the emulated 82576 (the PF), the PF goes up (its VFs read "PF still resetting" otherwise), and
// VFs are created through sysfs (82576 VFs, 8086:10ca). The daemon's prepare-vf does the rest.
import type { L1Vm } from './l1-vm';

export interface SriovPf {
  /** The PF's PCI address and its kernel interface. */
  pci: string;
  netdev: string;
  /** The VFs' PCI addresses, VF 0 first. */
  vfs: string[];
}

const PF_ID = '0x8086:0x10c9';
const VF_ID = '0x8086:0x10ca';

/** Loads igb and vfio-pci (a host's prerequisites), sets the PF up and creates `count` VFs. */
export async function createVfs(l1: L1Vm, count = 2): Promise<SriovPf> {
  return (await createVfsOnEveryPf(l1, count))[0];
}

/**
 * createVfs on every 82576 of L1, in PCI address order (the order of L1Options' wires): a host
 * with several PFs, `count` VFs each (Linux's igb makes at most 7).
 */
export async function createVfsOnEveryPf(l1: L1Vm, count = 2): Promise<SriovPf[]> {
  const script = `
set -e
modprobe igb
modprobe vfio-pci
pfs=$(for dev in /sys/bus/pci/devices/*; do
  [ "$(cat $dev/vendor):$(cat $dev/device)" = ${PF_ID} ] && basename $dev
done || true)
[ -n "$pfs" ] || { echo "no 82576 PF" >&2; exit 1; }
for pf in $pfs; do
  i=0; while [ ! -d /sys/bus/pci/devices/$pf/net ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
  netdev=$(ls /sys/bus/pci/devices/$pf/net)
  ip link set $netdev up
  echo ${count} >/sys/bus/pci/devices/$pf/sriov_numvfs
  vfs=$(for n in $(seq 0 $((${count} - 1))); do basename $(readlink -f /sys/bus/pci/devices/$pf/virtfn$n); done)
  for vf in $vfs; do
    [ "$(cat /sys/bus/pci/devices/$vf/vendor):$(cat /sys/bus/pci/devices/$vf/device)" = ${VF_ID} ] ||
      { echo "$vf is not an 82576 VF" >&2; exit 1; }
  done
  echo $pf $netdev $vfs
done`;
  const lines = (await l1.runOk(script, 120000)).trim().split('\n');
  return lines.map((line) => {
    const [pci, netdev, ...vfs] = line.trim().split(/\s+/);
    return { pci, netdev, vfs };
  });
}

export interface VfSettings {
  mac: string;
  trust: boolean;
  spoofCheck: boolean;
}

/** VF `index` as its PF sees it (ip link show PF: MAC, trust, spoof checking). */
export async function pfVfSettings(l1: L1Vm, pf: SriovPf, index: number): Promise<VfSettings> {
  const [link] = JSON.parse(await l1.runOk(`ip -j link show ${pf.netdev}`)) as Array<{
    vfinfo_list: Array<{ vf: number; address: string; spoofchk: boolean; trust: boolean }>;
  }>;
  const vf = link.vfinfo_list.find((entry) => entry.vf === index);
  if (!vf) throw new Error(`${pf.netdev} lists no VF ${index}`);
  return { mac: vf.address, trust: vf.trust, spoofCheck: vf.spoofchk };
}

/** The kernel driver bound to a PCI device now, or undefined. */
export async function pciDriver(l1: L1Vm, address: string): Promise<string | undefined> {
  const driver = await l1.run(`basename "$(readlink -e /sys/bus/pci/devices/${address}/driver)"`);
  return driver.code === 0 ? driver.stdout.trim() : undefined;
}
