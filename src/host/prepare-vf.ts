// Readies an SR-IOV VF to be a group's primary uplink, the steps an operator would take by hand:
// through its PF, pin the VF to the guest's MAC and let it follow the guest's receive filter;
// then hand it to vfio-pci so DPDK can own it. Planning only reads sysfs, so `--dry-run` can
// show the plan without root; applying it needs root.
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import type { Config } from '../config';
import { deviceName, isPciDevice } from '../config/device-name';
import { unicastMacProblem } from '../config/unicast-mac';

export type VfAction =
  { kind: 'ip'; args: string[]; why: string } | { kind: 'write'; path: string; value: string; why: string };

export interface VfPlan {
  /** The VF's PCI address as sysfs names it: 0000:3b:02.1. */
  address: string;
  /** The PF's netdev name: the VF's MAC, trust and spoof check are set through it. */
  pf: string;
  vfIndex: number;
  /** The driver bound to the VF now; undefined when none is. */
  driver: string | undefined;
  /** The VF's IOMMU group; undefined when the IOMMU is off, and then vfio-pci cannot take it. */
  iommuGroup: string | undefined;
  actions: VfAction[];
}

/** How applyPlan touches the host; tests replace `ip` so that nothing reaches a real NIC. */
export interface HostRunner {
  ip(args: string[]): void;
  write(file: string, value: string): void;
}

export const defaultRunner: HostRunner = {
  ip: (args) => {
    try {
      execFileSync('ip', args, { stdio: 'pipe' });
    } catch (error) {
      // ip's own complaint ("RTNETLINK answers: ...") says more than "Command failed"; when ip
      // could not start at all there is none, and the spawn error says why.
      const complaint = (error as { stderr?: Buffer }).stderr?.toString().trim();
      throw complaint ? new Error(complaint) : error;
    }
  },
  write: (file, value) => fs.writeFileSync(file, value),
};

const VFIO_DRIVER = 'vfio-pci';
/** `3b:02.1` or `0000:3B:02.1` as sysfs spells it, `0000:3b:02.1`; throws on anything else. */
function normalisePciAddress(address: string): string {
  if (!isPciDevice(address.trim()) || address.includes(','))
    throw new Error(`"${address}" is not a PCI address; use one like 0000:3b:02.1 (lspci -D lists them)`);
  return deviceName(address.trim());
}

// A VF takes no multicast or all-zero MAC, and the guest sends from this one.
function checkUnicastMac(mac: string): void {
  const problem = unicastMacProblem(mac);
  if (problem) throw new Error(`"${mac}" ${problem}; use the group's unicast MAC, like "52:54:00:12:34:56"`);
}

/** The name a sysfs symlink points at (a driver, an IOMMU group), or undefined if there is none. */
function linkName(link: string): string | undefined {
  try {
    return path.basename(fs.readlinkSync(link));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function pfDeviceDir(address: string, deviceDir: string): string {
  if (!fs.existsSync(deviceDir)) throw new Error(`there is no PCI device ${address}; lspci -D lists them`);
  try {
    return fs.realpathSync(path.join(deviceDir, 'physfn'));
  } catch {
    throw new Error(
      `${address} is not an SR-IOV VF (it has no physfn link); create VFs on its PF with ` +
        '`echo N > /sys/class/net/<pf>/device/sriov_numvfs` and use one of their addresses',
    );
  }
}

function pfNetdev(pfDir: string): string {
  const pf = path.basename(pfDir);
  const names = fs.existsSync(path.join(pfDir, 'net')) ? fs.readdirSync(path.join(pfDir, 'net')) : [];
  if (names.length === 0)
    throw new Error(`the PF ${pf} has no network interface; load its driver (ice, i40e, mlx5_core, ...)`);
  if (names.length > 1)
    throw new Error(
      `the PF ${pf} has several network interfaces (${names.join(', ')}); cannot tell which sets its VFs`,
    );
  return names[0];
}

function vfIndexOf(address: string, deviceDir: string, pfDir: string): number {
  const device = fs.realpathSync(deviceDir);
  for (const entry of fs.readdirSync(pfDir)) {
    const index = /^virtfn(\d+)$/.exec(entry)?.[1];
    if (index !== undefined && fs.realpathSync(path.join(pfDir, entry)) === device) return Number(index);
  }
  throw new Error(`the PF ${path.basename(pfDir)} lists no virtfn link to ${address}`);
}

/** The PF netdev the VF at `address` is set through, and its index there; reads sysfs only. */
export function vfOfPf(address: string, sysfsRoot = '/sys'): { pciAddress: string; pf: string; vfIndex: number } {
  const pciAddress = normalisePciAddress(address);
  const deviceDir = path.join(sysfsRoot, 'bus/pci/devices', pciAddress);
  const pfDir = pfDeviceDir(pciAddress, deviceDir);
  return { pciAddress, pf: pfNetdev(pfDir), vfIndex: vfIndexOf(pciAddress, deviceDir, pfDir) };
}

/**
 * The steps that ready the VF at `address` for a group whose guest has `mac`; reads sysfs only.
 * `trust`: the PF trusts the VF. Off unless asked: a trusted VF may change its own MAC and, on
 * i40e and ice PFs, turn on promiscuous mode and see other VFs' traffic. The daemon needs it only
 * for all-multicast on such PFs (a guest in all-multicast, or with more groups than the VF's filter
 * holds) and for `guestMac: set` over an administrator's MAC.
 */
export function planVfPreparation(address: string, mac: string, sysfsRoot = '/sys', trust = false): VfPlan {
  checkUnicastMac(mac);
  const { pciAddress, pf, vfIndex } = vfOfPf(address, sysfsRoot);
  const deviceDir = path.join(sysfsRoot, 'bus/pci/devices', pciAddress);
  const driver = linkName(path.join(deviceDir, 'driver'));
  const iommuGroup = linkName(path.join(deviceDir, 'iommu_group'));

  const vf = ['link', 'set', pf, 'vf', String(vfIndex)];
  const actions: VfAction[] = [
    {
      kind: 'ip',
      args: [...vf, 'mac', mac],
      why: "the VF answers for the guest's MAC, as the daemon sets it on the port",
    },
    trust
      ? {
          kind: 'ip',
          args: [...vf, 'trust', 'on'],
          why: "lets DPDK turn on all-multicast on the VF for the guest's receive filter (--trust)",
        }
      : {
          kind: 'ip',
          args: [...vf, 'trust', 'off'],
          why: 'the VF may not change its MAC or see traffic for others (--trust allows all-multicast)',
        },
    {
      kind: 'ip',
      args: [...vf, 'spoofchk', 'on'],
      why: "the VF sends only from the guest's MAC, as the daemon's own check does",
    },
  ];
  if (driver !== VFIO_DRIVER) {
    actions.push({
      kind: 'write',
      path: path.join(deviceDir, 'driver_override'),
      value: VFIO_DRIVER,
      why: 'only vfio-pci may take the VF from now on',
    });
    if (driver !== undefined) {
      actions.push({
        kind: 'write',
        path: path.join(deviceDir, 'driver/unbind'),
        value: pciAddress,
        why: `releases the VF from ${driver}`,
      });
    }
    actions.push({
      kind: 'write',
      path: path.join(sysfsRoot, 'bus/pci/drivers_probe'),
      value: pciAddress,
      why: 'binds the VF to vfio-pci (the module must be loaded: modprobe vfio-pci)',
    });
  }
  return { address: pciAddress, pf, vfIndex, driver, iommuGroup, actions };
}

/**
 * The VF and MAC of every group in `config` whose primary is a PCI device: what `prepare-vf
 * --config FILE` readies in one run (a host of many VMs, one VF each).
 */
export function configuredVfs(config: Config): Array<{ group: string; address: string; mac: string }> {
  return config.groups
    .filter((group) => isPciDevice(group.primary.devargs))
    .map((group) => ({ group: group.name, address: deviceName(group.primary.devargs), mac: group.mac }));
}

/** An action as the shell command an operator would type. */
function commandOf(action: VfAction): string {
  return action.kind === 'ip' ? `ip ${action.args.join(' ')}` : `echo ${action.value} > ${action.path}`;
}

/** The plan as a shell script with a comment on each step: what `--dry-run` prints. */
export function describePlan(plan: VfPlan): string {
  const commands = plan.actions.map(commandOf);
  const width = Math.max(...commands.map((command) => command.length));
  const steps = plan.actions.map((action, i) => `${commands[i].padEnd(width)}   # ${action.why}`);
  const closing =
    plan.iommuGroup === undefined
      ? `# ${plan.address} has no IOMMU group: turn the IOMMU on (intel_iommu=on or amd_iommu=on) or vfio-pci cannot take it`
      : `# then the daemon opens /dev/vfio/${plan.iommuGroup}; every device in IOMMU group ${plan.iommuGroup} must be on vfio-pci or unbound`;
  return [...steps, closing].join('\n');
}

/** Performs the plan's steps in order; throws at the first that fails, naming it. */
export function applyPlan(plan: VfPlan, run: HostRunner = defaultRunner): void {
  for (const [i, action] of plan.actions.entries()) {
    try {
      if (action.kind === 'ip') run.ip(action.args);
      else run.write(action.path, action.value);
    } catch (error) {
      const message = error instanceof Error ? error.message.trim() : String(error);
      const done = i === 0 ? 'nothing was changed' : i === 1 ? 'step 1 was applied' : `steps 1-${i} were applied`;
      throw new Error(
        `step ${i + 1} of ${plan.actions.length}, \`${commandOf(action)}\`, failed: ${message} (${done})`,
        {
          cause: error,
        },
      );
    }
  }
}
