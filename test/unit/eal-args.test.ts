import { strict as assert } from 'assert';
import { extraEalArgsProblems } from '../../src/config/eal-rules';
import { planEal } from '../../src/dataplane/eal-args';
import { minimalConfig } from '../support/configs';

const config = (dataplane: object) => minimalConfig({ dataplane }).dataplane;

const argAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('EAL arguments', function () {
  it('pins each worker lcore to its CPU and keeps the main lcore off worker CPUs', function () {
    const plan = planEal(config({ workerCpus: [2, 3] }), 4);
    assert.equal(argAfter(plan.args, '--lcores'), '0@(0,1),1@2,2@3');
    assert.deepEqual(plan.workerLcores, [1, 2]);
  });

  it('lets the main lcore share CPUs only when workers take them all', function () {
    assert.equal(argAfter(planEal(config({ workerCpus: [0, 1] }), 2).args, '--lcores'), '0@(0,1),1@0,2@1');
  });

  it('runs in memory under its own file prefix, probing no device by itself', function () {
    const { args } = planEal(config({ filePrefix: 'vf-x' }), 2);
    assert.equal(argAfter(args, '--file-prefix'), 'vf-x');
    assert.ok(args.includes('--in-memory'));
    assert.equal(argAfter(args, '-a'), '0000:00:00.0');
    assert.ok(!args.includes('--vdev'));
  });

  it('appends extraEalArgs last, so they can override', function () {
    const { args } = planEal(config({ extraEalArgs: ['--log-level', '*:debug'] }), 2);
    assert.deepEqual(args.slice(-2), ['--log-level', '*:debug']);
  });
});

describe('extraEalArgs allow-list', function () {
  it('takes the options that tune memory, logging and VFIO, in both spellings', function () {
    const args = [
      ...['--log-level', 'pmd.net.tap:debug', '--log-level=lib.eal:8', '-n', '4', '-m512', '--socket-mem=1024,1024'],
      ...['--huge-dir', '/dev/hugepages-1G', '--legacy-mem', '--iova-mode', 'va', '--vfio-intr=msix', '--no-telemetry'],
      ...['--vfio-vf-token', '14d63f20-8445-11ea-8900-1f9ce7d5650d'],
    ];
    assert.deepEqual(extraEalArgsProblems(args), []);
  });

  it('refuses what reaches past the daemon: devices, shared objects, PCI probing, its own settings', function () {
    const refused: Array<[string[], RegExp]> = [
      [
        ['--vdev', 'net_pcap0,rx_pcap=/etc/shadow'],
        /--vdev is refused: it makes a device around the devargs allow-list/,
      ],
      [['--vdev=net_pcap0,rx_pcap=/etc/shadow'], /--vdev is refused/],
      [['-d', '/tmp/evil.so'], /-d is refused: it loads a shared object/],
      [['-d/tmp/evil.so'], /-d is refused/],
      [['-a', '0000:3b:00.0'], /-a is refused: it probes PCI functions/],
      [['-b', '0000:3b:00.0'], /-b is refused/],
      [['--file-prefix', 'other'], /--file-prefix is refused: it is set by dataplane.filePrefix/],
      [['--lcores', '0@0'], /--lcores is refused: it lcores are set by dataplane.workerCpus/],
      [['--telemetry'], /--telemetry is refused/],
      [['--vde', 'net_null0'], /"--vde" is not an EAL option allowed here; allowed: --log-level/],
      [['--'], /"--" is not an EAL option allowed here/],
      [['net_null0'], /"net_null0" is not an EAL option allowed here/],
    ];
    for (const [args, expected] of refused) {
      const problems = extraEalArgsProblems(args);
      assert.equal(problems.length, 1, `${args.join(' ')}: ${JSON.stringify(problems)}`);
      assert.match(problems[0][1], expected);
    }
  });

  it('checks values, so that an option cannot carry another', function () {
    assert.match(extraEalArgsProblems(['--log-level', '--vdev=net_null0'])[0][1], /--log-level needs a level/);
    assert.match(extraEalArgsProblems(['-n'])[0][1], /-n needs the number of memory channels, not ""/);
    assert.match(extraEalArgsProblems(['--legacy-mem=1'])[0][1], /--legacy-mem takes no value/);
    assert.match(extraEalArgsProblems(['--huge-dir', 'relative'])[0][1], /--huge-dir needs a hugetlbfs mount point/);
  });

  it('reports a refused argument as a config problem at its place in the list', function () {
    assert.throws(
      () => minimalConfig({ dataplane: { extraEalArgs: ['-n', '4', '--vdev', 'net_null0'] } }),
      /dataplane\.extraEalArgs\[2\]: EAL option --vdev is refused/,
    );
  });
});
