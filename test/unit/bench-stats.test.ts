// The bench's summaries: the median, its order-statistics interval (ranks from Binomial(n, 1/2)),
// the CSV writer, and the frame-size arithmetic (IMIX's mean, L1 bit rates).
import { strict as assert } from 'assert';
import { toCsv } from '../../bench/csv';
import { median, medianInterval } from '../../bench/stats';
import { IMIX, lineGbps, meanFrameBytes } from '../../bench/zero-loss/sizes';

describe('bench stats', () => {
  it('takes the median of odd and even counts', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it('gives the order-statistics 95% interval of the median', () => {
    const values = Array.from({ length: 15 }, (_, i) => 15 - i); // 1..15, shuffled order
    const interval = medianInterval(values)!;
    // n = 15: P(B <= 3) = 576/32768 <= 2.5% < P(B <= 4), so [x(4), x(12)].
    assert.deepEqual([interval.low, interval.median, interval.high], [4, 8, 12]);
    assert.ok(Math.abs(interval.coverage - (1 - (2 * 576) / 32768)) < 1e-12);
    // n = 6 is the fewest with a 95% interval: [min, max], coverage 1 - 2/64.
    const six = medianInterval([6, 5, 4, 3, 2, 1])!;
    assert.deepEqual([six.low, six.high], [1, 6]);
    assert.equal(medianInterval([1, 2, 3, 4, 5]), undefined);
  });

  it('writes CSV with a header of every column and quotes what needs it', () => {
    const csv = toCsv([
      { a: 1, b: 'x,y' },
      { a: 2, c: 'say "hi"' },
    ]);
    assert.equal(csv, 'a,b,c\r\n1,"x,y",\r\n2,,"say ""hi"""\r\n');
  });

  it('knows IMIX and the L1 bit rate', () => {
    assert.equal(IMIX, '64x7,570x4,1518x1');
    assert.ok(Math.abs(meanFrameBytes('imix') - (64 * 7 + 570 * 4 + 1518) / 12) < 1e-9);
    // 14.88 Mpps of 64-byte frames fill 10 Gb/s.
    assert.ok(Math.abs(lineGbps(14_880_952, '64') - 10) < 0.001);
  });
});
