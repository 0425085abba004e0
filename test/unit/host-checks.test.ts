// The host checks before EAL starts (worker CPUs, hugepages) and the PCI diagnosis a failed
// probe gets, on made-up host facts and a fake sysfs.
import { strict as assert } from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { validateConfig } from '../../src/config';
import { fullPciAddress, pciBindingProblem, withPciDiagnosis } from '../../src/host/pci-binding';
import { allowedCpus, hugepageBytesNeeded, parseCpuList, preflight } from '../../src/host/preflight';

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

const plenty = { cpuCount: 4, allowedCpus: [0, 1, 2, 3], freeHugepageBytes: 2 ** 31 };

describe('pre-flight host checks', () => {
  it('reads kernel CPU lists and the process affinity', () => {
    assert.deepEqual(parseCpuList('0-3,8,10-11\n'), [0, 1, 2, 3, 8, 10, 11]);
    assert.deepEqual(allowedCpus('Name:\tnode\nCpus_allowed_list:\t2-3\n'), [2, 3]);
  });

  it('passes a host that has what the config asks', () => {
    assert.deepEqual(preflight(config([1]), plenty), []);
  });

  it('calls a worker CPU that does not exist, or is outside the affinity, a config error', () => {
    const [missing] = preflight(config([7]), plenty);
    assert.equal(missing.kind, 'config');
    assert.match(missing.text, /CPU 7 does not exist on this host \(CPUs 0-3\)/);
    const [outside] = preflight(config([3]), { ...plenty, allowedCpus: [0, 1] });
    assert.equal(outside.kind, 'config');
    assert.match(
      outside.text,
      /CPU 3 is outside the CPUs this process may use \(0,1: its cpuset, CPUAffinity= or taskset\)/,
    );
  });

  it('calls too few free hugepages a host problem, with the numbers and the fix', () => {
    const needed = hugepageBytesNeeded(config([1]));
    const [short] = preflight(config([1]), { ...plenty, freeHugepageBytes: needed - 2 ** 20 });
    assert.equal(short.kind, 'host');
    assert.match(short.text, /MiB of hugepages free, about \d+ MiB needed \(dataplane.mbufs 8191\); reserve more/);
    assert.equal(preflight(config([1]), { ...plenty, freeHugepageBytes: 0 }).length, 1);
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

  it('names sysfs addresses in full', () => {
    assert.equal(fullPciAddress('3B:02.1'), '0000:3b:02.1');
    assert.equal(fullPciAddress('1:3b:02.1'), '0001:3b:02.1');
  });

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
