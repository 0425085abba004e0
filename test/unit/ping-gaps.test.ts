import { strict as assert } from 'assert';
import { parsePingGaps } from '../../lab/ping-gaps';

const reply = (atS: number, seq: number, rttMs = 0.5) =>
  `[${atS.toFixed(6)}] 64 bytes from 198.18.0.2: icmp_seq=${seq} ttl=64 time=${rttMs} ms`;

describe('ping gaps (the migration tests reading ping -D)', function () {
  it('finds the longest wait between replies and the pings lost during the outage and outside it', function () {
    const output = [
      'PING 198.18.0.2 (198.18.0.2) 56(84) bytes of data.',
      reply(100.0, 1),
      reply(100.01, 2),
      reply(100.03, 4), // 3 lost, outside the outage
      reply(100.04, 5),
      reply(100.2, 20), // 6..19 lost: the outage
      reply(100.21, 21),
      '--- 198.18.0.2 ping statistics ---',
      '23 packets transmitted, 6 received, 73.913% packet loss, time 220ms',
    ].join('\n');
    const gaps = parsePingGaps(output, { fromMs: 100045, toMs: 100195 });
    assert.equal(gaps.sent, 23);
    assert.equal(gaps.received, 6);
    assert.equal(Math.round(gaps.longestGapMs), 160);
    assert.equal(gaps.gapToMs, 100200);
    assert.equal(gaps.lostInOutage, 14);
    assert.equal(gaps.lostElsewhere, 1, 'seq 3; 22 and 23 were still in flight at the end');
    assert.deepEqual(gaps.lostElsewhereSeqs, [3]);
  });

  it('judges loss by send time: a late reply (answered after the guest resumed) does not move the outage', function () {
    const output = [
      reply(100.0, 1),
      reply(100.2, 2, 190), // sent at 100.01, answered late
      reply(100.201, 8, 131), // sent at 100.07; 3..7 sent 100.02..100.06 (interpolated), lost
      reply(100.21, 9),
      '9 packets transmitted, 4 received',
    ].join('\n');
    const gaps = parsePingGaps(output, { fromMs: 100015, toMs: 100150 });
    assert.equal(Math.round(gaps.longestGapMs), 200);
    assert.equal(gaps.lostInOutage, 5);
    assert.equal(gaps.lostElsewhere, 0);
  });

  it('says so when ping printed no summary', function () {
    assert.throws(
      () => parsePingGaps('ping: connect: Network is unreachable', { fromMs: 0, toMs: 0 }),
      /no ping summary/,
    );
  });
});
