// Small pieces the daemon's health rests on: the workers' liveness as the watchdog reads it,
// retries that never double up, and the failover-gap histogram in the scrape text.
import { strict as assert } from 'assert';
import { GapHistogram } from '../../src/failover/gap-histogram';
import { RetryWithBackoff } from '../../src/group/retry-backoff';
import { createRegistry, type MetricsSource } from '../../src/metrics/collectors';
import { WorkerLiveness } from '../../src/service/worker-liveness';
import { waitFor } from '../../lab/wait';

describe('worker liveness', function () {
  it('judges only over at least half a second, whoever asks how often', function () {
    let passes = [10, 20];
    const liveness = new WorkerLiveness(() => passes);
    assert.ok(liveness.allAdvancing(0));
    passes = [10, 20];
    assert.ok(liveness.allAdvancing(100), 'too soon to judge: the last verdict stands');
    assert.ok(liveness.allAdvancing(200));
    assert.ok(!liveness.allAdvancing(600), 'no pass in 600 ms: stuck');
    passes = [11, 21];
    assert.ok(liveness.allAdvancing(1200));
    passes = [12, 21];
    assert.ok(!liveness.allAdvancing(1800), 'one worker stuck is enough');
  });
});

describe('retry with back-off', function () {
  it('keeps one chain of attempts however often it is started, and none once cancelled', async function () {
    let attempts = 0;
    const retry = new RetryWithBackoff(
      () => {
        attempts++;
        throw new Error('not yet');
      },
      1000,
      () => {},
    );
    retry.start('first');
    retry.start('again'); // starting over replaces the chain
    await waitFor('an attempt', () => attempts >= 1, 3000);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the next is 2 s away
    assert.equal(attempts, 1);
    assert.ok(retry.pending);
    retry.cancel();
    assert.ok(!retry.pending);
  });

  it('stops after a success', async function () {
    let attempts = 0;
    const retry = new RetryWithBackoff(
      () => void attempts++,
      1000,
      () => {},
    );
    retry.start('missing');
    await waitFor('the attempt', () => attempts === 1, 3000);
    assert.ok(!retry.pending);
  });
});

describe('metrics text', function () {
  it('renders each group failover gaps as a Prometheus histogram', async function () {
    const gaps = new GapHistogram();
    gaps.observe(80); // 80 us
    gaps.observe(3000); // 3 ms
    const source = {
      groupNames: () => ['vm1'],
      group: () => ({ name: 'vm1', switchGaps: () => gaps.snapshot() }),
      mbufsInUse: () => 0,
      build: () => ({ version: '0.0.0', dpdk: 'DPDK 24.11.8', dpdkBuilt: 'DPDK 24.11.3' }),
      failedGroupNames: () => [],
    } as unknown as MetricsSource;
    const registry = createRegistry(source);
    const text = await registry.getSingleMetricAsString('vhost_failover_switch_gap_seconds');
    assert.match(text, /# TYPE vhost_failover_switch_gap_seconds histogram/);
    assert.match(text, /vhost_failover_switch_gap_seconds_bucket\{group="vm1",le="0\.0001"\} 1/);
    assert.match(text, /vhost_failover_switch_gap_seconds_bucket\{group="vm1",le="0\.005"\} 2/);
    assert.match(text, /vhost_failover_switch_gap_seconds_bucket\{group="vm1",le="\+Inf"\} 2/);
    assert.match(text, /vhost_failover_switch_gap_seconds_count\{group="vm1"\} 2/);
    const buildInfo = await registry.getSingleMetricAsString('vhost_failover_build_info');
    assert.match(buildInfo, /dpdk="DPDK 24\.11\.8",dpdk_built="DPDK 24\.11\.3"/);
    // Node's process metrics under their usual names.
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_open_fds',
      'nodejs_eventloop_lag_seconds',
    ])
      assert.match(await registry.getSingleMetricAsString(name), new RegExp(`^# TYPE ${name} `, 'm'));
  });
});
