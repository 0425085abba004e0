import { strict as assert } from 'assert';
import { deviceClaimProblems, THIS_HOST, type HostView } from '../../src/host/device-claims';

const host = (interfaces: string[], vendors: Record<string, string> = {}): HostView => ({
  interfaces: () => interfaces,
  pciVendor: (address) => vendors[address],
});

describe('device claims (the host, right before a probe)', () => {
  it('refuses a tap or tun whose interface exists already: the daemon never adopts one', () => {
    const taken = host(['lo', 'eth0', 'vfp1234']);
    for (const devargs of ['net_tap3,iface=vfp1234', 'net_tun0,iface=eth0', 'tap:eth0'])
      assert.match(
        deviceClaimProblems(devargs, taken)[0],
        /^interface \w+ exists already; the daemon makes its own taps and never adopts one/,
      );
    assert.deepEqual(deviceClaimProblems('net_tap3,iface=vfp9', taken), []);
  });

  it('leaves af_packet and pcap alone: they attach to an interface that must exist', () => {
    assert.deepEqual(deviceClaimProblems('net_af_packet0,iface=eth0', host(['eth0'])), []);
  });

  it("takes a PCI device's options only from its vendor's driver family", () => {
    const intelVf = host([], { '0000:3b:02.1': '0x8086' });
    assert.deepEqual(deviceClaimProblems('0000:3b:02.1,watchdog_period=0', intelVf), []);
    assert.match(deviceClaimProblems('0000:3b:02.1,txq_inline_max=64', intelVf)[0], /not one of Intel/);
    assert.deepEqual(deviceClaimProblems('0000:3b:02.9,txq_inline_max=64', intelVf), [], 'absent: the probe says so');
  });

  it('reads the interfaces of its own network namespace', () => {
    assert.ok(THIS_HOST.interfaces().includes('lo'));
  });
});
