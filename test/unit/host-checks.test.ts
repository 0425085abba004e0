// The host checks before EAL starts (worker CPUs, hugepages) and the PCI diagnosis a failed
// probe gets, on made-up host facts and a fake sysfs.
import { strict as assert } from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { validateConfig } from '../../src/config';
import { loadAddon } from '../../src/dataplane/native';
import { pciBindingProblem, withPciDiagnosis } from '../../src/host/pci-binding';
import { cpusetCpus, hugepageBytesNeeded, parseCpuList, preflight, ringMbufs } from '../../src/host/preflight';

const config = (workerCpus: number[], mbufs = 8191) =>
  validateConfig({
    dataplane: { workerCpus, mbufs },
    groups: [
      {
        name: 'vm1',
        mac: '52:54:00:00:0f:01',
        vhost: { socket: '/run/vhost-failover/vm1.sock' },
        primary: { devargs: '0000:3b:02.1' },
        standby: { devargs: 'net_tap0,iface=tap-vm1' },
      },
    ],
  });

const plenty = { cpuCount: 4, freeHugepageBytes: 2 ** 31 };

describe('pre-flight host checks', () => {
  it('reads kernel CPU lists and the cgroup cpuset (v2, or v1), if any', () => {
    assert.deepEqual(parseCpuList('0-3,8,10-11\n'), [0, 1, 2, 3, 8, 10, 11]);
    const files: Record<string, string> = {
      '/sys/fs/cgroup/system.slice/vhost-failover.service/cpuset.cpus.effective': '2-3\n',
      '/sys/fs/cgroup/cpuset/vms/cpuset.effective_cpus': '0\n',
    };
    const read = (file: string) => files[file];
    assert.deepEqual(cpusetCpus('0::/system.slice/vhost-failover.service\n', read), [2, 3]);
    assert.deepEqual(cpusetCpus('3:cpuset:/vms\n2:cpuacct:/\n0::/\n', read), [0]);
    assert.equal(cpusetCpus('0::/user.slice\n', read), undefined, 'no cpuset file: not limited');
  });

  it('passes a host that has what the config asks', () => {
    assert.deepEqual(preflight(config([1]), plenty), []);
  });

  it('calls a worker CPU that does not exist, or is outside the cgroup cpuset, a config error', () => {
    const [missing] = preflight(config([7]), plenty);
    assert.equal(missing.kind, 'config');
    assert.match(missing.text, /CPU 7 does not exist on this host \(CPUs 0-3\)/);
    const [outside] = preflight(config([3]), { ...plenty, cpusetCpus: [0, 1] });
    assert.equal(outside.kind, 'config');
    assert.match(outside.text, /CPU 3 is outside the daemon's cgroup cpuset \(0,1; AllowedCPUs= in a systemd unit\)/);
  });

  it('calls too few free hugepages a host problem, with the numbers and the fix', () => {
    const needed = hugepageBytesNeeded(config([1]));
    const [short] = preflight(config([1]), { ...plenty, freeHugepageBytes: needed - 2 ** 20 });
    assert.equal(short.kind, 'host');
    assert.match(short.text, /MiB of hugepages free, about \d+ MiB needed \(dataplane.mbufs 8191\); reserve more/);
    assert.equal(preflight(config([1]), { ...plenty, freeHugepageBytes: 0 }).length, 1);
  });

  it("counts the groups' rings where they need more mbufs than dataplane.mbufs", () => {
    const base = config([1]);
    const wide = validateConfig({
      ...base,
      dataplane: { ...base.dataplane, rxDescriptors: 4096, txDescriptors: 4096 },
      groups: [{ ...base.groups[0], queues: 4 }],
    });
    // Two DPDK uplinks of 4 queues, each 4096 + 4096 + a burst of 32 (as OVS counts a port); the
    // guest's pool a burst a queue for the guest and for each uplink that could be a tap.
    assert.equal(ringMbufs(wide), 4 * (3 * 32 + 2 * (4096 + 4096 + 32)));
    assert.ok(hugepageBytesNeeded(wide) > hugepageBytesNeeded(base));
    const [short] = preflight(wide, { ...plenty, freeHugepageBytes: hugepageBytesNeeded(base) });
    assert.match(short.text, /MiB needed \(the groups' rings, 66176 mbufs\); reserve more/);
  });

  it("asks the addon for each group's share, the count the data plane reserves by, a tap:NAME uplink filling no ring", () => {
    const base = config([1]);
    const group = (standby: string, queues: number) => ({
      ...base.groups[0],
      name: `vm${queues}`,
      mac: `52:54:00:00:0f:0${queues}`,
      vhost: { socket: `/run/vhost-failover/vm${queues}.sock` },
      primary: { devargs: `0000:3b:02.${queues}` },
      standby: { devargs: standby },
      queues,
    });
    const two = validateConfig({ ...base, groups: [group('tap:sb-vm1', 1), group('net_tap1,iface=sb-vm2', 2)] });
    const addon = loadAddon();
    const { rxDescriptors, txDescriptors } = two.dataplane;
    const share = (queues: number, ethdevUplinks: number) =>
      addon.groupMbufs({ queues, rxDescriptors, txDescriptors, ethdevUplinks });
    assert.equal(ringMbufs(two), share(1, 1) + share(2, 2));
    assert.equal(share(2, 2) - share(2, 1), 2 * (512 + 512 + 32), 'a DPDK uplink: its rings full and a burst a queue');
    assert.equal(share(1, 0), 3 * 32, "no DPDK uplink: the guest's and two taps' bursts");
  });
});

describe('PCI diagnosis of a failed probe', () => {
  let sysfs: string;
  const device = (address: string, driver?: string) => {
    fs.mkdirSync(path.join(sysfs, address), { recursive: true });
    if (driver) fs.symlinkSync(`../../../bus/pci/drivers/${driver}`, path.join(sysfs, address, 'driver'));
  };

  before(() => {
    sysfs = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-pci-'));
    device('0000:3b:02.0', 'iavf');
    device('0000:3b:02.1', 'vfio-pci');
    device('0000:3b:02.2');
    device('0000:5e:00.2', 'mlx5_core');
  });
  after(() => fs.rmSync(sysfs, { recursive: true, force: true }));

  it('says whether the address is wrong or the device is on a kernel driver, and how to fix it', () => {
    assert.match(pciBindingProblem('0000:ff:1f.7', sysfs)!, /^there is no PCI device 0000:ff:1f.7 on this host/);
    assert.match(
      pciBindingProblem('3b:02.0,foo=1', sysfs)!,
      /^0000:3b:02.0 is bound to iavf, .*bind it to vfio-pci \(vhost-failover prepare-vf/,
    );
    assert.match(pciBindingProblem('0000:3b:02.2', sysfs)!, /^0000:3b:02.2 is bound to no driver/);
  });

  it('has nothing to add for user-space and bifurcated drivers, or virtual devices', () => {
    assert.equal(pciBindingProblem('0000:3b:02.1', sysfs), undefined);
    assert.equal(pciBindingProblem('0000:5e:00.2', sysfs), undefined);
    assert.equal(pciBindingProblem('net_tap0,iface=x', sysfs), undefined);
    assert.equal(withPciDiagnosis('standby port: cannot probe', 'net_tap0', sysfs), 'standby port: cannot probe');
    assert.match(
      withPciDiagnosis('cannot probe', '0000:3b:02.0', sysfs),
      /^cannot probe \(0000:3b:02.0 is bound to iavf/,
    );
  });
});
