// The zero-loss bench's generator on real DPDK: through each switch of the loop (the daemon with
// a net_memif primary, testpmd io), a paced trial both ways arrives on the far port, in order,
// every frame timed, offered on schedule; IMIX passes too; and an earlier trial's frames are not
// counted in the next. Builds the generator (make -C bench/generator) if it is missing.
import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import { Generator } from '../../bench/zero-loss/generator';
import { Loop, type LoopSwitch } from '../../bench/zero-loss/loop';
import { IMIX } from '../../bench/zero-loss/sizes';

describe('bench generator (real DPDK, the zero-loss loop)', function () {
  before(() => {
    if (!Generator.available()) execFileSync('make', ['-s', '-C', 'bench/generator'], { stdio: 'inherit' });
  });

  for (const which of ['vhost-failover', 'testpmd-io'] as LoopSwitch[])
    it(`carries paced, stamped frames both ways through ${which}`, async function () {
      const loop = await Loop.start(which);
      try {
        // 20 kpps a port for 0.5 s: low enough that a busy machine's stalls fit in the rings.
        const result = await loop.trial({ ratePps: 20000, seconds: 0.5, sizes: '64' }, 'both');
        assert.equal(result.offered, 20000);
        for (const port of result.ports) {
          assert.equal(port.offered, 10000, `port ${port.port} offered`);
          // Everything that arrived came out of the other port.
          assert.equal(port.receivedOn[port.port], 0, `port ${port.port}'s frames came back to it`);
        }
        assert.ok(result.lost <= result.offered / 100, `lost ${result.lost} of ${result.offered}`);
        assert.equal(result.outOfOrder, 0);
        assert.equal(result.latency.count, result.received, 'every received frame timed');
        assert.ok(result.latency.p50Ns! > 0 && result.latency.p50Ns! <= result.latency.maxNs!);
        assert.ok(result.txSeconds >= 0.5 && result.txSeconds < 0.6, `offered over ${result.txSeconds} s`);

        const imix = await loop.trial({ ratePps: 12000, seconds: 0.5, sizes: IMIX }, 'guestToNetwork');
        assert.equal(imix.offered, 6000);
        assert.ok(imix.received >= imix.offered * 0.99, `IMIX: ${imix.received} of ${imix.offered}`);
        assert.equal(imix.stale, 0, 'no frame of the trial before counted as this one’s');
      } finally {
        await loop.stop();
      }
    });
});
