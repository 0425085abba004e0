import { strict as assert } from 'assert';
import { PASS_ALL, uplinkRxFilter, type QemuRxFilterInfo } from '../../src/guest/rx-filter';

// What Debian 12's QEMU answered to query-rx-filter for a Linux 6.1 guest after
// `ip link add link eth0 name eth0.100 type vlan id 100` and `ip maddr add 01:00:5e:01:02:03`.
const linuxGuest: QemuRxFilterInfo = {
  name: 'nic0',
  promiscuous: false,
  multicast: 'normal',
  'multicast-overflow': false,
  'multicast-table': [
    '01:00:5e:01:02:03',
    '33:33:ff:12:34:56',
    '01:80:c2:00:00:21',
    '01:00:5e:00:00:01',
    '33:33:00:00:00:01',
  ],
  vlan: 'normal',
  'vlan-table': [100, 0],
};

describe('guest receive filter to uplink filter', function () {
  it('programs the multicast list and the VLANs of a guest that filters', function () {
    assert.deepEqual(uplinkRxFilter(linuxGuest), {
      allMulticast: false,
      multicast: [
        '01:00:5e:00:00:01',
        '01:00:5e:01:02:03',
        '01:80:c2:00:00:21',
        '33:33:00:00:00:01',
        '33:33:ff:12:34:56',
      ],
      vlanFiltering: true,
      vlans: [0, 100],
    });
  });

  it('passes everything to a promiscuous guest', function () {
    assert.deepEqual(uplinkRxFilter({ ...linuxGuest, promiscuous: true }), PASS_ALL);
  });

  it('takes all multicast when the guest asks for it or its list overflowed', function () {
    for (const info of [
      { ...linuxGuest, multicast: 'all' as const },
      { ...linuxGuest, 'multicast-overflow': true },
    ]) {
      const filter = uplinkRxFilter(info);
      assert.equal(filter.allMulticast, true);
      assert.deepEqual(filter.multicast, []);
    }
  });

  it('filters to no multicast and no VLAN when the guest wants none', function () {
    const filter = uplinkRxFilter({ ...linuxGuest, multicast: 'none', vlan: 'none' });
    assert.deepEqual(filter, { allMulticast: false, multicast: [], vlanFiltering: true, vlans: [] });
  });

  it('passes every VLAN when the guest did not negotiate VLAN filtering', function () {
    const filter = uplinkRxFilter({ ...linuxGuest, vlan: 'all' });
    assert.equal(filter.vlanFiltering, false);
    assert.deepEqual(filter.vlans, []);
  });
});
