import { strict as assert } from 'assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Config, ConfigError, configSchema, deviceName, loadConfigFile, validateConfig } from '../../src/config';
import { patternHints, UPLINK_DRIVERS } from '../../src/config/schema';
import { groupEthdevPorts } from '../../src/config/cross-checks';

const configDir = join(__dirname, '..', '..', '..', 'config');

function group(index: number, overrides: Record<string, unknown> = {}) {
  return {
    name: `vm${index}`,
    mac: `52:54:00:00:00:0${index}`,
    vhost: { socket: `/run/vf/vm${index}.sock` },
    primary: { devargs: `0000:3b:02.${index}` },
    standby: { devargs: `net_tap${index},iface=sb-vm${index}` },
    ...overrides,
  };
}

/** The problems validateConfig reports for `raw`; fails the test if it accepts it. */
function problemsOf(raw: unknown): string[] {
  try {
    validateConfig(raw);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    return err.problems;
  }
  assert.fail('the configuration was accepted');
}

function assertProblem(raw: unknown, expected: string) {
  const problems = problemsOf(raw);
  assert.ok(problems.includes(expected), `no problem ${expected} in:\n${problems.join('\n')}`);
}

describe('config', () => {
  let scratchDir: string;
  before(() => {
    scratchDir = mkdtempSync(join(tmpdir(), 'vhost-failover-config-'));
  });
  after(() => rmSync(scratchDir, { recursive: true, force: true }));

  function writeScratch(name: string, text: string): string {
    const file = join(scratchDir, name);
    writeFileSync(file, text);
    return file;
  }

  /** The ConfigError loadConfigFile throws for `file`. */
  function loadError(file: string): ConfigError {
    try {
      loadConfigFile(file);
    } catch (err) {
      assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
      return err;
    }
    assert.fail(`${file} was accepted`);
  }

  describe('shipped files', () => {
    it('loads the demo topology on virtual devices', () => {
      const config = loadConfigFile(join(configDir, 'demo.yaml'));
      assert.equal(config.dataplane.filePrefix, 'vhost-failover-demo');
      assert.deepEqual(config.dataplane.workerCpus, [1]);
      assert.equal(config.control.socket, '/run/vhost-failover-demo/control.sock');
      assert.deepEqual(config.groups, [
        {
          name: 'vm1',
          mac: '52:54:00:00:00:01',
          mtu: 1500,
          queues: 1,
          rx: 'failover',
          rxGraceMs: 500,
          spoofCheck: true,
          vhost: { socket: '/run/vhost-failover-demo/vm1.sock', mode: 'server' },
          primary: { devargs: 'net_tap0,iface=vf-vm1', bridge: 'br0' },
          standby: { devargs: 'net_tap1,iface=pv-vm1', bridge: 'br0' },
        },
      ]);
    });

    it('loads the example host with VFs and bridged taps', () => {
      const config = loadConfigFile(join(configDir, 'example.yaml'));
      assert.deepEqual(
        config.groups.map((g) => [g.name, g.vhost.mode, g.primary.devargs, g.standby.devargs]),
        [
          ['vm1', 'client', '0000:3b:02.1', 'tap:sb-vm1'],
          ['vm2', 'client', '0000:3b:02.2', 'tap:sb-vm2'],
        ],
      );
      assert.equal(config.groups[1].vhost.socket, '/var/run/vhost-failover/vm2.sock');
    });

    it('keeps config/schema.json equal to configSchema', () => {
      const written = JSON.parse(readFileSync(join(configDir, 'schema.json'), 'utf8'));
      assert.deepEqual(
        written,
        configSchema,
        'config/schema.json is stale: run `npm run build:ts && node scripts/write-config-schema.js`',
      );
    });

    it('has a human description of every pattern in the schema', () => {
      const patterns: string[] = [];
      const collect = (node: unknown): void => {
        if (typeof node !== 'object' || node === null) return;
        const { pattern } = node as { pattern?: unknown };
        if (typeof pattern === 'string') patterns.push(pattern);
        Object.values(node).forEach(collect);
      };
      collect(configSchema);
      assert.ok(patterns.length > 0);
      for (const pattern of patterns) assert.ok(patternHints[pattern], `no hint for ${pattern}`);
    });
  });

  it("refuses more groups than the distribution's DPDK has ports for (32 in all), two a group", () => {
    const groups = (count: number) =>
      Array.from({ length: count }, (_, i) => ({
        name: `g${i}`,
        mac: `52:54:00:00:00:${(16 + i).toString(16)}`,
        vhost: { socket: `/run/vm${i}.sock` },
        primary: { devargs: `net_null${2 * i}` },
        standby: { devargs: `net_null${2 * i + 1}` },
      }));
    assert.equal(validateConfig({ groups: groups(16) }).groups.length, 16);
    assert.throws(
      () => validateConfig({ groups: groups(17) }),
      /groups: 17 groups take 34 DPDK ports \(every uplink that is a DPDK device\), more than the 32 this DPDK holds \(RTE_MAX_ETHPORTS\); move groups to a second daemon/,
    );
    assert.equal(groupEthdevPorts({ primary: { devargs: 'tap:p0' }, standby: { devargs: 'net_tap0,iface=s0' } }), 1);
  });

  describe('defaults', () => {
    it('fills in every optional field', () => {
      const expected: Config = {
        dataplane: {
          filePrefix: 'vhost-failover',
          workerCpus: [1],
          mbufs: 16383,
          rxDescriptors: 512,
          txDescriptors: 512,
          linkPollIntervalUs: 1000,
          idleSleepMaxUs: 200,
          rxInterrupts: true,
          extraEalArgs: [],
        },
        control: {
          socket: '/run/vhost-failover/control.sock',
          mode: '0600',
          idleTimeoutSeconds: 60,
          faultInjection: false,
          operators: { users: [], groups: [] },
        },
        devices: {
          drivers: [...UPLINK_DRIVERS],
          fileOptions: false,
          fileDirectories: [],
          pciAddresses: [],
          bridges: [],
          interfaces: [],
        },
        startup: { requireAllGroups: false, retryMaxMs: 60000 },
        metrics: { address: '127.0.0.1' },
        announce: { rounds: 5, initialMs: 50, stepMs: 100, maxMs: 550, garpMaxAgeMs: 300000 },
        failover: {
          mode: 'revertive',
          failbackDelayMs: 2000,
          flapDamping: { maxChanges: 5, windowMs: 10000, holdMs: 30000 },
        },
        log: { level: 'info' },
        groups: [
          {
            ...group(1),
            mtu: 1500,
            queues: 1,
            rx: 'failover',
            rxGraceMs: 500,
            spoofCheck: true,
            vhost: { ...group(1).vhost, mode: 'server' },
          },
        ],
      };
      assert.deepEqual(validateConfig({ groups: [group(1)] }), expected);
    });

    it('keeps given values', () => {
      const config = validateConfig({
        dataplane: { workerCpus: [2, 3], idleSleepMaxUs: 0 },
        log: { level: 'debug' },
        groups: [group(1, { mtu: 9000, rx: 'active' })],
      });
      assert.deepEqual(config.dataplane.workerCpus, [2, 3]);
      assert.equal(config.dataplane.idleSleepMaxUs, 0);
      assert.equal(config.dataplane.mbufs, 16383);
      assert.equal(config.log.level, 'debug');
      assert.equal(config.groups[0].mtu, 9000);
      assert.equal(config.groups[0].rx, 'active');
    });

    it('returns a deep-frozen copy and leaves the input alone', () => {
      const raw = { groups: [group(1)] };
      const before = JSON.stringify(raw);
      const config = validateConfig(raw);
      assert.equal(JSON.stringify(raw), before);
      assert.ok(Object.isFrozen(config.groups[0].vhost));
      assert.ok(Object.isFrozen(config.dataplane.workerCpus));
    });
  });

  describe('schema problems', () => {
    it('explains a malformed MAC address', () => {
      assertProblem(
        { groups: [group(1, { mac: '52:54:00:zz:00:01' })] },
        `groups[0].mac: "52:54:00:zz:00:01" is not a MAC address; write six hex pairs separated by ':' like "52:54:00:12:34:56"`,
      );
    });

    it('lists the allowed values of an enum', () => {
      assertProblem(
        { groups: [group(1, { rx: 'all' })] },
        'groups[0].rx: "all" is not allowed; use one of "failover", "both", "active"',
      );
    });

    it('suggests the closest known field for a typo', () => {
      assertProblem(
        { dataplane: { workerCpu: [1] }, groups: [group(1)] },
        'dataplane.workerCpu: unknown field; did you mean "workerCpus"?',
      );
      assertProblem(
        { dataplane: { link_poll_interval_us: 50 }, groups: [group(1)] },
        'dataplane.link_poll_interval_us: unknown field; did you mean "linkPollIntervalUs"?',
      );
    });

    it('lists the known fields when no field is close', () => {
      assertProblem(
        { groups: [group(1)], colour: 'blue' },
        'colour: unknown field; allowed here: "dataplane", "control", "devices", "startup", "metrics", "announce", "failover", "log", "groups"',
      );
    });

    it('names a missing required field and how to write it', () => {
      const { mac: _mac, ...withoutMac } = group(1);
      assertProblem(
        { groups: [withoutMac] },
        `groups[0].mac: required field is missing; write six hex pairs separated by ':' like "52:54:00:12:34:56"`,
      );
      assertProblem({}, 'groups: required field is missing; use a list of 1 to 256 items');
    });

    it('gives the range of an integer that is out of range or not an integer', () => {
      assertProblem(
        { dataplane: { mbufs: 100 }, groups: [group(1)] },
        'dataplane.mbufs: 100 is too small; use an integer from 1024 to 1048575',
      );
      assertProblem(
        { groups: [group(1, { mtu: 9601 })] },
        'groups[0].mtu: 9601 is too large; use an integer from 68 to 9600',
      );
      assertProblem(
        { dataplane: { linkPollIntervalUs: '100us' }, groups: [group(1)] },
        'dataplane.linkPollIntervalUs: "100us" is not an integer; use an integer from 10 to 1000000',
      );
    });

    it('reports a CPU listed twice', () => {
      assertProblem(
        { dataplane: { workerCpus: [1, 2, 1] }, groups: [group(1)] },
        'dataplane.workerCpus[2]: 1 is already listed at dataplane.workerCpus[0]; list each value once',
      );
    });

    it('rejects an empty group list', () => {
      assertProblem({ groups: [] }, 'groups: [] has too few items; use a list of 1 to 256 items');
    });

    it('takes group names with "-" and "." inside, and says what a name may hold', () => {
      const [problem] = problemsOf({ groups: [group(1, { name: 'vm/1' })] });
      assert.match(problem, /^groups\[0\]\.name: "vm\/1" is not a valid group name; .*starting with a letter/);
      for (const name of ['-vm1', '.vm1', 'vm 1', 'x'.repeat(33)])
        assert.equal(problemsOf({ groups: [group(1, { name })] }).length, 1, name);
      for (const name of ['web-01', 'db.prod_2', '_x'])
        assert.equal(validateConfig({ groups: [group(1, { name })] }).groups[0].name, name);
    });

    it('rejects relative and over-long socket paths', () => {
      assertProblem(
        { control: { socket: 'control.sock' }, groups: [group(1)] },
        `control.socket: "control.sock" is not an absolute path; start it with '/', like "/run/vhost-failover/vm1.sock"`,
      );
      const [problem] = problemsOf({
        groups: [group(1, { vhost: { socket: `/${'s'.repeat(107)}` } })],
      });
      assert.match(problem, /^groups\[0\]\.vhost\.socket: "\/s+\.\.\. is too long; use at most 107 characters$/);
    });

    it("refuses in a socket QEMU opens too only what QEMU's options would misread: ',' and '='", () => {
      const qmp = (socket: string) => ({ qmp: { socket, device: 'net0' } });
      assertProblem(
        { groups: [group(1, { vhost: { socket: '/run/vf/vm1,server=on.sock' } })] },
        `groups[0].vhost.socket: "/run/vf/vm1,server=on.sock" is not a usable socket path; write an absolute path without ',' or '=' (QEMU opens it too, and reads ',' in -chardev socket,path=PATH as the path's end and '=' in -qmp unix:PATH as an option's), like "/run/vhost-failover/vm1.sock"`,
      );
      assert.match(
        problemsOf({ groups: [group(1, qmp('/run/qemu/a=b.qmp'))] })[0],
        /qmp\.socket: .* not a usable socket path/,
      );
      const config = validateConfig({
        control: { socket: '/run/vf ctl/a,b=c.sock' },
        groups: [group(1, { vhost: { socket: '/run/vf dir/vm:1;x.sock' }, ...qmp('/run/qemu/vm 1:x.qmp') })],
      });
      assert.equal(config.groups[0].vhost.socket, '/run/vf dir/vm:1;x.sock', "spaces, ':' and ';' are plain bytes");
      assert.equal(config.control.socket, '/run/vf ctl/a,b=c.sock', 'QEMU never opens the control socket');
    });

    it('rejects devargs with whitespace', () => {
      const [problem] = problemsOf({
        groups: [group(1, { primary: { devargs: 'net_tap0, iface=a' } })],
      });
      assert.match(problem, /^groups\[0\]\.primary\.devargs: "net_tap0, iface=a" is not a DPDK device; /);
    });

    it('reports one problem per field', () => {
      assert.deepEqual(problemsOf({ groups: [group(1, { mtu: 1.5 })] }), [
        'groups[0].mtu: 1.5 is not an integer; use an integer from 68 to 9600',
      ]);
    });
  });

  describe('cross-field problems', () => {
    it('requires unique group names', () => {
      assertProblem(
        { groups: [group(1), group(2, { name: 'vm1' })] },
        'groups[1].name: "vm1" is already used by groups[0]; group names must be unique',
      );
    });

    it('requires every socket to be distinct, the control socket included', () => {
      assertProblem(
        { groups: [group(1), group(2, { vhost: { socket: '/run/vf//vm1.sock' } })] },
        'groups[1].vhost.socket: "/run/vf//vm1.sock" is already used by groups[0].vhost.socket; give every socket its own path',
      );
      assertProblem(
        { control: { socket: '/run/vf/vm1.sock' }, groups: [group(1)] },
        'groups[0].vhost.socket: "/run/vf/vm1.sock" is already used by control.socket; give every socket its own path',
      );
      // QEMU serves one QMP client per socket.
      assertProblem(
        {
          groups: [
            group(1, { qmp: { socket: '/run/qemu/vm.qmp', device: 'net0' } }),
            group(2, { qmp: { socket: '/run/qemu/vm.qmp', device: 'net1' } }),
          ],
        },
        'groups[1].qmp.socket: "/run/qemu/vm.qmp" is already used by groups[0].qmp.socket; give every socket its own path',
      );
    });

    it('names the missing field of a qmp section', () => {
      assert.deepEqual(problemsOf({ groups: [group(1, { qmp: { socket: '/run/qemu/vm.qmp' } })] }).length, 1);
      assert.match(
        problemsOf({ groups: [group(1, { qmp: { socket: '/run/qemu/vm.qmp' } })] })[0],
        /^groups\[0\]\.qmp.*device/,
      );
    });

    it('requires primary and standby to be different devices', () => {
      assertProblem(
        { groups: [group(1, { standby: { devargs: '3B:02.1,rx_queues=1' } })] },
        'groups[0].standby.devargs: "3B:02.1,rx_queues=1" (device "0000:3b:02.1") is already used by groups[0].primary.devargs; primary and standby must be different devices',
      );
    });

    it('lets a device be the uplink of only one group', () => {
      assertProblem(
        { groups: [group(1), group(2, { standby: { devargs: 'net_tap1,iface=other' } })] },
        'groups[1].standby.devargs: "net_tap1,iface=other" (device "net_tap1") is already used by groups[0].standby.devargs; a device can be an uplink of only one group',
      );
    });

    it('requires descriptor counts to be powers of two', () => {
      assert.deepEqual(problemsOf({ dataplane: { rxDescriptors: 500, txDescriptors: 1000 }, groups: [group(1)] }), [
        'dataplane.rxDescriptors: 500 is not a power of two; use 256 or 512',
        'dataplane.txDescriptors: 1000 is not a power of two; use 512 or 1024',
      ]);
    });

    it('allows more than 4 queue pairs only where no uplink is a net_tap', () => {
      assertProblem(
        { groups: [group(1, { queues: 8 })] },
        "groups[0].queues: 8 queue pairs, but the standby is a net_tap, which takes at most 4 in this DPDK (22.11's net_tap overflows its stack at start with more); use queues: 4 or fewer",
      );
      assert.equal(validateConfig({ groups: [group(1, { queues: 4 })] }).groups[0].queues, 4);
      const vfs = { queues: 16, standby: { devargs: '0000:3b:03.1' } };
      assert.equal(validateConfig({ groups: [group(1, vfs)] }).groups[0].queues, 16);
    });

    it('requires a unicast, non-zero MAC', () => {
      assertProblem(
        { groups: [group(1, { mac: '01:00:5e:00:00:01' })] },
        'groups[0].mac: "01:00:5e:00:00:01" is a multicast address (odd first octet); use a unicast MAC like "52:54:00:12:34:56"',
      );
      assertProblem(
        { groups: [group(1, { mac: '00:00:00:00:00:00' })] },
        'groups[0].mac: "00:00:00:00:00:00" is all zeros; use a unicast MAC like "52:54:00:12:34:56"',
      );
    });

    it('does not repeat a problem the schema already reported', () => {
      const problems = problemsOf({
        groups: [group(1, { name: 'vm/1' }), group(2, { name: 'vm/1' })],
      });
      assert.equal(problems.length, 2);
      assert.ok(problems.every((problem) => problem.includes('is not a valid group name')));
    });

    it('identifies a device by the part of its devargs before the first comma', () => {
      assert.equal(deviceName('0000:3B:02.1,rx_queues=2'), '0000:3b:02.1');
      assert.equal(deviceName('3b:02.1'), '0000:3b:02.1');
      assert.equal(deviceName('net_tap0,iface=sb-vm1'), 'net_tap0');
    });
  });

  describe('reporting', () => {
    it('reports every problem at once, one per line, naming the source', () => {
      const raw = {
        dataplane: { workerCpu: [1], rxDescriptors: 500 },
        groups: [group(1, { mac: '52:54:00:zz:00:01', rx: 'all' }), group(2, { name: 'vm1' })],
      };
      let error: unknown;
      try {
        validateConfig(raw, 'test.yaml');
      } catch (err) {
        error = err;
      }
      assert.ok(error instanceof ConfigError);
      assert.equal(error.problems.length, 5);
      assert.equal(error.source, 'test.yaml');
      const [header, ...lines] = error.message.split('\n');
      assert.equal(header, 'cannot use configuration test.yaml (5 problems):');
      assert.deepEqual(
        lines.map((line) => line.trim()),
        error.problems,
      );
      for (const field of [
        'dataplane.workerCpu',
        'dataplane.rxDescriptors',
        'groups[0].mac',
        'groups[0].rx',
        'groups[1].name',
      ]) {
        assert.ok(
          error.problems.some((problem) => problem.startsWith(`${field}: `)),
          field,
        );
      }
    });
  });

  describe('files', () => {
    it('reads JSON', () => {
      const file = writeScratch('good.json', JSON.stringify({ groups: [group(1)] }, null, 2));
      assert.equal(loadConfigFile(file).groups[0].name, 'vm1');
    });

    it('reads .yml', () => {
      const yaml = [
        'groups:',
        '  - name: vm1',
        '    mac: "52:54:00:00:00:01"',
        '    vhost: { socket: /run/a.sock }',
        '    primary: { devargs: "0000:3b:02.1" }',
        '    standby: { devargs: "net_tap0,iface=sb0" }',
      ];
      const file = writeScratch('good.yml', yaml.join('\n'));
      assert.equal(loadConfigFile(file).groups[0].primary.devargs, '0000:3b:02.1');
    });

    it('names the file and line of a YAML syntax error', () => {
      const file = writeScratch('broken.yaml', 'log:\n  level: info\ngroups: name: vm1\n');
      const error = loadError(file);
      assert.ok(error.message.includes(file), error.message);
      assert.match(error.problems[0], /^line 3, column \d+: YAML syntax error: /);
    });

    it('rejects a key given twice in YAML', () => {
      const file = writeScratch('twice.yaml', 'log:\n  level: info\nlog:\n  level: debug\n');
      assert.match(loadError(file).problems[0], /^line 3, column 1: YAML syntax error: .*unique/);
    });

    it('names the line of a JSON syntax error and rejects unquoted strings', () => {
      const comma = loadError(writeScratch('comma.json', '{\n  "log": {\n    "level" "info"\n  }\n}\n'));
      assert.match(comma.problems[0], /^line 3, column \d+: JSON syntax error: /);
      const bare = loadError(writeScratch('bare.json', '{\n  "log": { "level": info }\n}\n'));
      assert.match(bare.problems[0], /^line 2, column 21: JSON syntax error: .*"info"/);
    });

    it('names the file in validation problems', () => {
      const file = writeScratch('invalid.yaml', 'groups: []\n');
      const error = loadError(file);
      assert.ok(error.message.startsWith(`cannot use configuration ${file}: `));
    });

    it('explains a missing file and an unsupported extension', () => {
      const missing = loadError(join(scratchDir, 'absent.yaml'));
      assert.match(missing.problems[0], /^cannot read the file \(ENOENT.*\); check the path/);
      const toml = loadError(writeScratch('config.toml', ''));
      assert.equal(toml.problems[0], 'unsupported file type ".toml"; use a .yaml, .yml or .json file');
    });
  });
});
