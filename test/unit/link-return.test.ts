import assert from 'assert';
import { LinkReturnWatch } from '../../src/failover/link-return';

describe('LinkReturnWatch: a primary link back after it went down', function () {
  it('is true once for a port whose link went down from up and came back', function () {
    const watch = new LinkReturnWatch();
    assert.strictEqual(watch.observe(3, false, true), false);
    assert.strictEqual(watch.observe(3, false, false), false);
    assert.strictEqual(watch.observe(3, true, false), true);
    assert.strictEqual(watch.observe(3, true, true), false);
  });

  it("ignores a link that was not up before, and another port's", function () {
    const watch = new LinkReturnWatch();
    assert.strictEqual(watch.observe(3, false, false), false);
    assert.strictEqual(watch.observe(3, true, false), false, 'a new port coming up');
    assert.strictEqual(watch.observe(4, false, true), false);
    assert.strictEqual(watch.observe(3, true, false), false);
  });

  it('starts over after forget (a new device or a reset one, perhaps under the same port id)', function () {
    const watch = new LinkReturnWatch();
    watch.observe(3, false, true);
    watch.forget();
    assert.strictEqual(watch.observe(3, true, false), false);
  });
});
