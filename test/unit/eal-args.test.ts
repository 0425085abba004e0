import { strict as assert } from 'assert';
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
