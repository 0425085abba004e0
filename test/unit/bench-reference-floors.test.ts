// The bench's check on its references (bench/reference-floors.ts) and the shell lines its results
// record (bench/shell-line.ts): a reference below its floor is named with its ratio, spread and
// floor; the superseded Open vSwitch run of 2026-11-30 fails the check.
import { strict as assert } from 'assert';
import fs from 'fs';
import path from 'path';
import type { BenchReport, ThroughputCase } from '../../bench/run';
import { referencesBelowFloor, REFERENCE_FLOORS } from '../../bench/reference-floors';
import { shellLine } from '../../bench/shell-line';

const REFERENCE = path.resolve(__dirname, '..', '..', '..', 'bench', 'reference');

// Each switch's rounds in Mpps; testpmd io's best round is 10.
function oneCase(mpps: ThroughputCase['mpps']): ThroughputCase {
  return {
    direction: 'guestToNetwork',
    frameBytes: 64,
    mpps: { 'testpmd-io': [4, 10, 7], ...mpps },
    ratio: {},
    spread: {},
    configuration: {},
  };
}

describe('bench reference floors', () => {
  it('compares best rounds and names each reference below its floor', () => {
    const floorMpps = REFERENCE_FLOORS['ovs-bond']!.guestToNetwork * 10;
    // A slow round of the reference does not fail it; its best round decides.
    assert.deepEqual(referencesBelowFloor([oneCase({ 'ovs-bond': [1, floorMpps], 'testpmd-bond': [2, 10] })]), []);
    const failures = referencesBelowFloor([oneCase({ 'ovs-bond': [floorMpps - 0.1], 'testpmd-failsafe': [5, 3] })]);
    assert.equal(failures.length, 2);
    assert.match(
      failures[0],
      /^testpmd-failsafe, guestToNetwork 64 B: best round 5 Mpps, 0\.500× testpmd io's best \(10 Mpps\); its floor is/,
    );
    assert.match(failures[1], /^ovs-bond, guestToNetwork 64 B/);
  });

  it('holds no floor for the switch measured or the superseded Open vSwitch set-up', () => {
    assert.deepEqual(referencesBelowFloor([oneCase({ 'vhost-failover': [1], 'ovs-bond-flooding': [1] })]), []);
  });

  it('fails the 2026-11-30 run whose Open vSwitch flooded every frame to its bridge port', () => {
    const file = path.join(REFERENCE, '2026-11-30-2cpu-latency-modes', 'results.json');
    const report = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchReport;
    assert.match(
      referencesBelowFloor(report.throughput).join('\n'),
      /^ovs-bond, guestToNetwork 64 B: best round 6\.7 Mpps, 0\.177×/,
    );
  });
});

describe('bench shell lines', () => {
  it('quotes what a shell would split and leaves $DIR outside the quotes', () => {
    const line = shellLine(
      ['ovs-vsctl', 'set', 'o', 'other_config:dpdk-extra="--a b"', '--db=unix:/tmp/x y/db.sock'],
      '/tmp/x y',
    );
    assert.equal(line, `ovs-vsctl set o 'other_config:dpdk-extra="--a b"' --db=unix:$DIR/db.sock`);
  });
});
