// Which devices may be uplinks: devargs are checked against an allow-list before EAL, which
// runs as root, ever sees them. The same rules hold in the config file and at run time.
import { strict as assert } from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { ConfigError, validateConfig } from '../../src/config';
import { devargsProblems, kernelInterface, pciOptionProblems } from '../../src/config/devargs-rules';
import { groupPaths, pathsOutside, runtimeDeviceProblems, runtimeDirectories } from '../../src/config/runtime-rules';
import { UPLINK_DRIVERS } from '../../src/config/schema';
import { minimalConfig } from '../support/configs';

const defaults = { drivers: UPLINK_DRIVERS, fileOptions: false, fileDirectories: [] };

function group(index: number, primary: string, standby = `net_tap${index + 10},iface=sb${index}`) {
  return {
    name: `vm${index}`,
    mac: `52:54:00:00:00:0${index}`,
    vhost: { socket: `/run/vf/vm${index}.sock` },
    primary: { devargs: primary },
    standby: { devargs: standby },
  };
}

function problems(raw: unknown): string[] {
  try {
    validateConfig(raw);
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
}

describe('uplink devices (devargs allow-list)', function () {
  it('takes PCI addresses with plain options and the lab drivers with their own', function () {
    for (const devargs of [
      '0000:3b:02.1',
      '3b:02.1,txq_inline_max=128',
      '0000:3b:02.1,watchdog_period=0',
      'net_tap0,iface=sb-vm1',
      'net_tap3,iface=x,mac=fixed',
      'net_af_packet0,iface=veth1,qpairs=1',
      'net_af_xdp0,iface=veth1,start_queue=0',
      'net_null0,size=64,copy=1',
      'net_memif0,role=client,socket=/run/vhost-failover/memif.sock,socket-abstract=no,id=1',
      'net_ring0',
    ])
      assert.deepEqual(devargsProblems(devargs, defaults), [], devargs);
  });

  it('refuses options that open files unless the config allows them, and then only in its directories', function () {
    assert.match(
      devargsProblems('net_pcap0,tx_pcap=/etc/shadow', defaults)[0],
      /opens a file; set devices.fileOptions/,
    );
    const files = { ...defaults, fileOptions: true, fileDirectories: ['/var/lib/vf-pcap'] };
    assert.deepEqual(devargsProblems('net_pcap0,tx_pcap=/var/lib/vf-pcap/out.pcap', files), []);
    assert.match(
      devargsProblems('net_pcap0,tx_pcap=/var/lib/vf-pcap/../../etc/x', files)[0],
      /outside devices.fileDirectories/,
    );
    assert.match(devargsProblems('net_af_xdp0,iface=eth9,xdp_prog=/tmp/p.o', defaults)[0], /opens a file/);
  });

  it('refuses drivers it does not run, aliases, vhost ports and malformed names', function () {
    assert.match(devargsProblems('net_bonding0,mode=1', defaults)[0], /not a device this daemon runs as an uplink/);
    assert.match(devargsProblems('eth_pcap0,tx_pcap=/x', defaults)[0], /not a device this daemon runs/);
    assert.match(devargsProblems('net_tap_evil', defaults)[0], /not a device this daemon runs/);
    assert.match(devargsProblems('net_vhost_vm1,iface=/x.sock', defaults)[0], /vhost-user port cannot be an uplink/);
    assert.match(
      devargsProblems('net_tap0', { ...defaults, drivers: ['pci'] })[0],
      /driver net_tap is not allowed here/,
    );
  });

  it('refuses unknown options, values of the wrong form, and a tap that mirrors a host interface', function () {
    assert.match(devargsProblems('net_tap0,iface=x,bogus=1', defaults)[0], /net_tap has no option bogus/);
    assert.match(devargsProblems('net_tap0,iface=../../x', defaults)[0], /is not an interface name/);
    assert.match(devargsProblems('net_tap0,iface=x,remote=eth0', defaults)[0], /refused: it mirrors a host interface/);
    assert.match(
      devargsProblems('net_tap0,iface=x,persist', defaults)[0],
      /persist of net_tap is refused: it leaves the tap behind/,
    );
    assert.match(devargsProblems('net_tap0', defaults)[0], /net_tap needs option iface/);
    assert.match(
      devargsProblems('net_memif0,role=client,socket=/run/m.sock', defaults)[0],
      /needs option socket-abstract/,
    );
    assert.match(
      devargsProblems('net_memif0,socket=/run/m.sock,socket-abstract=yes', defaults)[0],
      /socket-abstract=no/,
    );
    assert.match(devargsProblems('net_af_packet0', defaults)[0], /needs option iface/);
    assert.match(devargsProblems('0000:3b:02.1,path=/etc/x', defaults)[0], /path is not a PCI driver option allowed/);
    assert.match(devargsProblems('0000:3b:02.1,txq_inline_max=/x', defaults)[0], /is not a number/);
    assert.match(devargsProblems('net_tap0,iface=a,iface=b', defaults)[0], /given twice/);
  });

  it("refuses PCI options that change what a device is or reach the switch's other ports", function () {
    for (const [devargs, reason] of [
      ['0000:3b:02.1,cap=dcf', /PCI option cap is refused: it makes an iavf VF its PF's switch control/],
      [
        '0000:3b:00.0,representor=vf[0-3]',
        /PCI option representor is refused: it probes the switch's representor ports/,
      ],
      ['0000:3b:00.0,class=vdpa', /PCI option class is refused: it probes the device as another class/],
      ['0000:3b:00.0,dv_esw_en=1', /PCI option dv_esw_en is refused/],
    ] as const)
      assert.match(devargsProblems(devargs, defaults)[0], reason);
  });

  it("takes a PCI option only from the device's own driver family", function () {
    assert.deepEqual(pciOptionProblems('0000:3b:02.1,watchdog_period=0', '0x8086'), []);
    assert.deepEqual(pciOptionProblems('0000:3b:02.1,txq_inline_max=64', '0x15b3'), []);
    assert.match(
      pciOptionProblems('0000:3b:02.1,txq_inline_max=64', '0x8086')[0],
      /option txq_inline_max is not one of Intel \(iavf, ixgbevf, igbvf\)'s; use watchdog_period, quanta_size, pflink_fullchk/,
    );
    assert.match(pciOptionProblems('0000:3b:02.1,speed=1', '0x1234')[0], /vendor 0x1234.*takes no options here/);
    assert.deepEqual(pciOptionProblems('0000:3b:02.1', '0x1234'), []);
  });

  it('holds the config file to the same rules, naming the field', function () {
    assert.ok(
      problems({ groups: [group(1, 'net_pcap0,tx_pcap=/tmp/x')] }).some((p) =>
        p.startsWith('groups[0].primary.devargs: option tx_pcap of net_pcap opens a file'),
      ),
    );
  });

  it("sees a device's second interface option too: pcap's tx_iface may not take another uplink's tap", function () {
    const config = {
      devices: { fileOptions: false },
      groups: [group(1, 'net_tap0,iface=vf1'), group(2, 'net_pcap0,rx_iface=eth9,tx_iface=vf1')],
    };
    assert.ok(
      problems(config).includes(
        'groups[1].primary.devargs: "net_pcap0,rx_iface=eth9,tx_iface=vf1" (interface "vf1") is already used by groups[0].primary.devargs; a device can be an uplink of only one group',
      ),
      problems(config).join('\n'),
    );
    assert.deepEqual(
      problems({ groups: [group(1, 'net_pcap0,rx_iface=eth9,tx_iface=eth9')] }),
      [],
      'one device reading and writing one interface',
    );
  });

  it('sees one kernel interface behind two spellings, and one MAC in two groups', function () {
    assert.equal(kernelInterface('net_tap7,iface=sb-vm1,persist'), 'sb-vm1');
    const sameTap = problems({ groups: [group(1, 'net_tap0,iface=vf1'), group(2, 'net_tap5,iface=vf1')] });
    assert.ok(
      sameTap.includes(
        'groups[1].primary.devargs: "net_tap5,iface=vf1" (interface "vf1") is already used by groups[0].primary.devargs; a device can be an uplink of only one group',
      ),
      sameTap.join('\n'),
    );
    const sameMac = problems({
      groups: [group(1, '0000:3b:02.1'), { ...group(2, '0000:3b:02.2'), mac: '52:54:00:00:00:01' }],
    });
    assert.ok(sameMac.some((p) => p.startsWith('groups[1].mac: "52:54:00:00:00:01" is already the MAC of groups[0]')));
  });

  it("takes tap:NAME, the daemon's own tap, and refuses hostile names: too long, separators, control characters, NUL", function () {
    assert.deepEqual(devargsProblems('tap:sb-vm1', defaults), []);
    assert.deepEqual(devargsProblems('tap:a.b_C-9', defaults), []);
    assert.deepEqual(devargsProblems('tap:abcdefghijklmno', defaults), [], '15 bytes: IFNAMSIZ with its NUL');
    assert.deepEqual(devargsProblems('tap:abcdefghijklmnop', defaults), [
      'tap interface name is 16 bytes; Linux allows at most 15 (IFNAMSIZ)',
    ]);
    assert.deepEqual(devargsProblems('tap:', defaults), ['tap: needs an interface name after it, like "tap:vm1-sb"']);
    for (const hostile of ['tap:a/b', 'tap:a:b', 'tap:sb,iface=eth0', 'tap:a\u0000b', 'tap:a\nb', 'tap:é'])
      assert.match(devargsProblems(hostile, defaults).join(), /may hold only letters, digits/, hostile);
    assert.match(
      devargsProblems('tap:éééééééé', defaults).join(),
      /is 16 bytes/,
      'counted in bytes, as the kernel does',
    );
    assert.match(devargsProblems('tap:..', defaults).join(), /not an interface name Linux accepts/);
    assert.deepEqual(devargsProblems('tap:sb', { ...defaults, drivers: ['pci'] }), [
      'driver tap is not allowed here; devices.drivers allows pci',
    ]);
    assert.equal(kernelInterface('tap:sb-vm1'), 'sb-vm1');
  });

  it('holds tap:NAME in the config file to those rules, sees its interface shared with a net_tap, and lets it join a bridge', function () {
    assert.deepEqual(problems({ groups: [group(1, '0000:3b:02.1', 'tap:sb1')] }), []);
    assert.deepEqual(
      problems({ groups: [{ ...group(1, 'tap:p1', 'tap:sb1'), standby: { devargs: 'tap:sb1', bridge: 'br0' } }] }),
      [],
    );
    assert.ok(
      problems({ groups: [group(1, '0000:3b:02.1', 'tap:0123456789abcdefg')] }).includes(
        'groups[0].standby.devargs: tap interface name is 17 bytes; Linux allows at most 15 (IFNAMSIZ)',
      ),
    );
    const shared = problems({ groups: [group(1, 'net_tap0,iface=vf1'), group(2, 'tap:vf1')] });
    assert.ok(
      shared.some((p) => p.startsWith('groups[1].primary.devargs: "tap:vf1" (interface "vf1") is already used')),
      shared.join('\n'),
    );
  });

  it('refuses socket paths with separators that would splice options into a devargs string', function () {
    const spliced = problems({ groups: [{ ...group(1, '0000:3b:02.1'), vhost: { socket: '/run/x.sock,tso=1' } }] });
    assert.ok(
      spliced.some((p) => p.startsWith('groups[0].vhost.socket: "/run/x.sock,tso=1" is not a usable socket path')),
    );
  });

  it("keeps run-time paths in the config's socket directories, or the ones it lists", function () {
    const config = validateConfig({ control: { socket: '/run/vf/control.sock' }, groups: [group(1, '0000:3b:02.1')] });
    assert.deepEqual(runtimeDirectories(config), ['/run/vf']);
    assert.deepEqual(
      pathsOutside(groupPaths({ ...config.groups[0], vhost: { socket: '/etc/vm9.sock', mode: 'server' } }), [
        '/run/vf',
      ]),
      ['/etc/vm9.sock'],
    );
    assert.deepEqual(
      pathsOutside(groupPaths({ ...config.groups[0], vhost: { socket: '/run/vf/../../etc/x.sock', mode: 'server' } }), [
        '/run/vf',
      ]),
      ['/run/vf/../../etc/x.sock'],
    );
    const listed = validateConfig({
      control: { socket: '/run/vf/c.sock', runtimeDirectories: ['/srv/vms'] },
      groups: [group(1, '0000:3b:02.1')],
    });
    assert.deepEqual(runtimeDirectories(listed), ['/srv/vms']);
  });

  it('takes at run time only VFs and listed PCI devices, and only listed host interfaces', function () {
    const sysfs = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-sysfs-'));
    try {
      fs.mkdirSync(path.join(sysfs, 'bus/pci/devices/0000:3b:02.1'), { recursive: true });
      fs.mkdirSync(path.join(sysfs, 'bus/pci/devices/0000:3b:00.0'), { recursive: true });
      fs.symlinkSync('../0000:3b:00.0', path.join(sysfs, 'bus/pci/devices/0000:3b:02.1/physfn'));
      const devices = { ...minimalConfig().devices, interfaces: ['veth-vf*'] };
      assert.deepEqual(runtimeDeviceProblems('3b:02.1', devices, sysfs), [], 'a VF');
      assert.match(runtimeDeviceProblems('0000:3b:00.0', devices, sysfs)[0], /0000:3b:00.0 is not an SR-IOV VF/);
      assert.deepEqual(runtimeDeviceProblems('0000:3b:00.0', { ...devices, pciAddresses: ['0000:3b:00'] }, sysfs), []);
      assert.match(runtimeDeviceProblems('net_af_packet0,iface=eth0', devices, sysfs)[0], /host interface eth0/);
      assert.deepEqual(runtimeDeviceProblems('net_af_xdp0,iface=veth-vf2', devices, sysfs), []);
      assert.deepEqual(runtimeDeviceProblems('net_tap3,iface=anything', devices, sysfs), []);
    } finally {
      fs.rmSync(sysfs, { recursive: true, force: true });
    }
  });
});
