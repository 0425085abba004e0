// Readying a VF on a fake sysfs laid out as the kernel lays it out: devices under devices/, the
// bus's view of them as relative symlinks, a PF with two VFs, one on iavf and one on vfio-pci.
import { strict as assert } from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { validateConfig } from '../../src/config';
import {
  applyPlan,
  configuredVfs,
  defaultRunner,
  describePlan,
  planVfPreparation,
  type HostRunner,
} from '../../src/host/prepare-vf';
import { downPfOf } from '../../src/host/pf-link';
import { pfRefusedMac } from '../../src/host/vf-mac';

const MAC = '52:54:00:12:34:56';
const PF = '0000:3b:00.0';
const IAVF_VF = '0000:3b:02.0';
const VFIO_VF = '0000:3b:02.1';
const NOT_A_VF = '0000:00:1f.6';

/** Records every step; `ip` fails at the call numbered `failAtIp` (from 1), if given. */
function recordingRunner(failAtIp?: number): HostRunner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    ip: (args) => {
      calls.push(`ip ${args.join(' ')}`);
      if (calls.filter((call) => call.startsWith('ip ')).length === failAtIp) {
        throw new Error('RTNETLINK answers: Operation not permitted\n');
      }
    },
    write: (file, value) => {
      calls.push(`write ${value} > ${file}`);
    },
  };
}

describe('preparing a VF as a primary uplink', function () {
  let sysfs: string;
  const device = (address: string) => path.join(sysfs, 'bus/pci/devices', address);

  before(function () {
    sysfs = fs.mkdtempSync(path.join(os.tmpdir(), 'vhost-failover-sysfs-'));
    const at = (relative: string) => path.join(sysfs, relative);
    const dir = (relative: string) => fs.mkdirSync(at(relative), { recursive: true });
    const file = (relative: string, content = '') => fs.writeFileSync(at(relative), content);
    // As sysfs does, each link points relative to its own directory.
    const link = (relative: string, target: string) =>
      fs.symlinkSync(path.relative(path.dirname(at(relative)), at(target)), at(relative));

    const root = 'devices/pci0000:3a/0000:3a:00.0';
    dir('bus/pci/devices');
    dir('bus/pci/drivers/iavf');
    dir('bus/pci/drivers/vfio-pci');
    file('bus/pci/drivers/iavf/unbind');
    file('bus/pci/drivers_probe');
    dir('kernel/iommu_groups/42');
    dir('kernel/iommu_groups/43');
    dir(`${root}/${PF}/net/enp59s0f0`);
    link(`bus/pci/devices/${PF}`, `${root}/${PF}`);
    for (const [index, vf] of [IAVF_VF, VFIO_VF].entries()) {
      dir(`${root}/${vf}`);
      file(`${root}/${vf}/driver_override`, '(null)\n');
      link(`${root}/${PF}/virtfn${index}`, `${root}/${vf}`);
      link(`${root}/${vf}/physfn`, `${root}/${PF}`);
      link(`bus/pci/devices/${vf}`, `${root}/${vf}`);
    }
    link(`${root}/${IAVF_VF}/driver`, 'bus/pci/drivers/iavf');
    link(`${root}/${IAVF_VF}/iommu_group`, 'kernel/iommu_groups/42');
    link(`${root}/${VFIO_VF}/driver`, 'bus/pci/drivers/vfio-pci');
    link(`${root}/${VFIO_VF}/iommu_group`, 'kernel/iommu_groups/43');
    dir(`devices/pci0000:00/${NOT_A_VF}`);
    link(`bus/pci/devices/${NOT_A_VF}`, `devices/pci0000:00/${NOT_A_VF}`);
  });

  after(function () {
    fs.rmSync(sysfs, { recursive: true, force: true });
  });

  it("tells a VF whose PF is down (its netdev's operstate), and nothing of a device that is no VF", function () {
    const operstate = path.join(sysfs, 'class/net/enp59s0f0/operstate');
    fs.mkdirSync(path.dirname(operstate), { recursive: true });
    fs.writeFileSync(operstate, 'down\n');
    assert.equal(downPfOf(VFIO_VF, sysfs), 'enp59s0f0');
    fs.writeFileSync(operstate, 'up\n');
    assert.equal(downPfOf(VFIO_VF, sysfs), undefined);
    assert.equal(downPfOf(NOT_A_VF, sysfs), undefined);
    assert.equal(downPfOf('net_tap0,iface=x', sysfs), undefined);
  });

  it('sets the VF up through its PF, then moves it from iavf to vfio-pci', function () {
    const plan = planVfPreparation('3B:02.0', MAC, sysfs);
    assert.equal(plan.address, IAVF_VF);
    assert.equal(plan.pf, 'enp59s0f0');
    assert.equal(plan.vfIndex, 0);
    assert.equal(plan.driver, 'iavf');
    assert.equal(plan.iommuGroup, '42');
    assert.deepEqual(
      plan.actions.map(({ why: _why, ...step }) => step),
      [
        { kind: 'ip', args: ['link', 'set', 'enp59s0f0', 'vf', '0', 'mac', MAC] },
        { kind: 'ip', args: ['link', 'set', 'enp59s0f0', 'vf', '0', 'trust', 'off'] },
        { kind: 'ip', args: ['link', 'set', 'enp59s0f0', 'vf', '0', 'spoofchk', 'on'] },
        { kind: 'write', path: `${device(IAVF_VF)}/driver_override`, value: 'vfio-pci' },
        { kind: 'write', path: `${device(IAVF_VF)}/driver/unbind`, value: IAVF_VF },
        { kind: 'write', path: `${sysfs}/bus/pci/drivers_probe`, value: IAVF_VF },
      ],
    );
    for (const action of plan.actions) assert.match(action.why, /^[^\n]{10,}$/, 'each step says why, on one line');
  });

  it("takes from a config every group whose primary is a VF, with the group's MAC (prepare-vf --config alone)", function () {
    const group = (name: string, mac: string, primary: string) => ({
      name,
      mac,
      vhost: { socket: `/run/${name}.sock` },
      primary: { devargs: primary },
      standby: { devargs: `tap:${name}s` },
    });
    const config = validateConfig({
      groups: [
        group('a', MAC, '3B:02.0'),
        group('b', '52:54:00:12:34:57', 'tap:bp'),
        group('c', '52:54:00:12:34:58', `${VFIO_VF},speed=10000`),
      ],
    });
    assert.deepEqual(configuredVfs(config), [
      { group: 'a', address: IAVF_VF, mac: MAC },
      { group: 'c', address: VFIO_VF, mac: '52:54:00:12:34:58' },
    ]);
  });

  it('trusts the VF only when asked (--trust)', function () {
    const trusted = planVfPreparation(IAVF_VF, MAC, sysfs, true);
    assert.deepEqual(trusted.actions[1], {
      kind: 'ip',
      args: ['link', 'set', 'enp59s0f0', 'vf', '0', 'trust', 'on'],
      why: trusted.actions[1].why,
    });
  });

  it('leaves the driver alone when the VF is already on vfio-pci', function () {
    const plan = planVfPreparation(VFIO_VF, MAC, sysfs);
    assert.equal(plan.vfIndex, 1);
    assert.equal(plan.driver, 'vfio-pci');
    assert.equal(plan.iommuGroup, '43');
    assert.deepEqual(
      plan.actions.map((action) => action.kind),
      ['ip', 'ip', 'ip'],
    );
  });

  it('tells how to create VFs when the device is not one', function () {
    assert.throws(
      () => planVfPreparation(NOT_A_VF, MAC, sysfs),
      /0000:00:1f\.6 is not an SR-IOV VF .*`echo N > \/sys\/class\/net\/<pf>\/device\/sriov_numvfs`/,
    );
    assert.throws(() => planVfPreparation('0000:5e:00.0', MAC, sysfs), /there is no PCI device 0000:5e:00\.0/);
    assert.throws(() => planVfPreparation('eth2', MAC, sysfs), /"eth2" is not a PCI address; use one like/);
  });

  it('refuses a MAC that is not a unicast one', function () {
    assert.throws(
      () => planVfPreparation(IAVF_VF, '01:00:5e:00:00:01', sysfs),
      /multicast address \(odd first octet\)/,
    );
    assert.throws(() => planVfPreparation(IAVF_VF, '52:54:00:12:34', sysfs), /is not a MAC address/);
    assert.throws(() => planVfPreparation(IAVF_VF, '00:00:00:00:00:00', sysfs), /all zeros/);
  });

  it('describes the plan as commented shell commands and names the VFIO group', function () {
    const lines = describePlan(planVfPreparation(IAVF_VF, MAC, sysfs)).split('\n');
    const steps = lines.slice(0, -1);
    assert.deepEqual(
      steps.map((line) => line.split(/ +# /)[0]),
      [
        `ip link set enp59s0f0 vf 0 mac ${MAC}`,
        'ip link set enp59s0f0 vf 0 trust off',
        'ip link set enp59s0f0 vf 0 spoofchk on',
        `echo vfio-pci > ${device(IAVF_VF)}/driver_override`,
        `echo ${IAVF_VF} > ${device(IAVF_VF)}/driver/unbind`,
        `echo ${IAVF_VF} > ${sysfs}/bus/pci/drivers_probe`,
      ],
    );
    assert.equal(new Set(steps.map((line) => line.indexOf('   # '))).size, 1, 'the comments line up');
    assert.match(lines[lines.length - 1], /^# then the daemon opens \/dev\/vfio\/42;/);
  });

  it('applies the steps in order', function () {
    const runner = recordingRunner();
    applyPlan(planVfPreparation(IAVF_VF, MAC, sysfs), runner);
    assert.deepEqual(runner.calls, [
      `ip link set enp59s0f0 vf 0 mac ${MAC}`,
      'ip link set enp59s0f0 vf 0 trust off',
      'ip link set enp59s0f0 vf 0 spoofchk on',
      `write vfio-pci > ${device(IAVF_VF)}/driver_override`,
      `write ${IAVF_VF} > ${device(IAVF_VF)}/driver/unbind`,
      `write ${IAVF_VF} > ${sysfs}/bus/pci/drivers_probe`,
    ]);
  });

  it('stops at the first step that fails and names it', function () {
    const runner = recordingRunner(2);
    assert.throws(() => applyPlan(planVfPreparation(IAVF_VF, MAC, sysfs), runner), {
      message:
        'step 2 of 6, `ip link set enp59s0f0 vf 0 trust off`, failed: ' +
        'RTNETLINK answers: Operation not permitted (step 1 was applied)',
    });
    assert.equal(runner.calls.length, 2, 'nothing after the failed step ran');
  });

  it('writes the sysfs files with the default runner', function () {
    const ipCalls: string[][] = [];
    applyPlan(planVfPreparation(IAVF_VF, MAC, sysfs), { ...defaultRunner, ip: (args) => ipCalls.push(args) });
    assert.equal(ipCalls.length, 3);
    assert.equal(fs.readFileSync(`${device(IAVF_VF)}/driver_override`, 'utf8'), 'vfio-pci');
    assert.equal(fs.readFileSync(`${sysfs}/bus/pci/drivers/iavf/unbind`, 'utf8'), IAVF_VF);
    assert.equal(fs.readFileSync(`${sysfs}/bus/pci/drivers_probe`, 'utf8'), IAVF_VF);
  });
  it("tells a guest's MAC the PF refused from one it took, by the PF's own record", function () {
    const pfLink = (address: string, trust: boolean) => () => [
      {
        vfinfo_list: [
          { vf: 0, address: '02:00:00:00:00:99', trust: false },
          { vf: 1, address, trust },
        ],
      },
    ];
    assert.equal(pfRefusedMac(VFIO_VF, MAC, sysfs, pfLink(MAC, true)), undefined);
    assert.equal(pfRefusedMac(VFIO_VF, MAC.toUpperCase(), sysfs, pfLink(MAC, false)), undefined);
    assert.equal(
      pfRefusedMac(VFIO_VF, MAC, sysfs, pfLink('52:54:00:aa:bb:cc', false)),
      "the PF enp59s0f0 keeps VF 1's MAC 52:54:00:aa:bb:cc and refused the guest's 52:54:00:12:34:56; with trust " +
        "off it keeps an administrator's MAC: `ip link set enp59s0f0 vf 1 trust on` lets the daemon replace it, " +
        "or give the VF the guest's MAC (`ip link set enp59s0f0 vf 1 mac 52:54:00:12:34:56`) and use guestMac: keep",
    );
    // Nothing to ask: a vdev, a PCI device that is no VF, a PF whose ip fails.
    assert.equal(pfRefusedMac('net_tap0,iface=x', MAC, sysfs, pfLink('52:54:00:aa:bb:cc', false)), undefined);
    assert.equal(pfRefusedMac(NOT_A_VF, MAC, sysfs, pfLink('52:54:00:aa:bb:cc', false)), undefined);
    const failing = () => {
      throw new Error('ip: not found');
    };
    assert.equal(pfRefusedMac(VFIO_VF, MAC, sysfs, failing), undefined);
  });
});
