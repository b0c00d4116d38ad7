import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { refill, take } from '../../src/core/delivery/token-bucket.js';

const limit = { rate: 5, burst: 5 };

describe('token bucket', () => {
  it('refills at the rate up to the burst', () => {
    assert.deepEqual(refill({ tokens: 0, updatedAt: 1000 }, limit, 1400), { tokens: 2, updatedAt: 1400 });
    assert.deepEqual(refill({ tokens: 4, updatedAt: 1000 }, limit, 5000), { tokens: 5, updatedAt: 5000 });
  });

  it('never moves back in time when a claim reads its clock before another claim committed', () => {
    // Process B took the bucket at 1400; process A read 1200 before it got the lock.
    const afterB = { tokens: 0, updatedAt: 1400 };
    const a = take(afterB, limit, 1, 1200);
    assert.equal(a.ok, false);
    assert.equal(a.state.updatedAt, 1400, 'the bucket keeps the later time');
    // Had A moved it back to 1200, 1200-1400 would be credited again at 1600: 2 tokens instead of 1.
    const next = take(a.state, limit, 1, 1600);
    assert.equal(next.ok, true);
    assert.equal(next.ok && next.state.tokens, 0);
    assert.equal(take(next.state, limit, 1, 1600).ok, false);
  });

  it('allows a cost above the burst once the bucket is full', () => {
    const full = take(undefined, limit, 8, 0);
    assert.equal(full.ok, true);
    assert.equal(full.state.tokens, -3);
    const waiting = take(full.state, limit, 1, 0);
    assert.equal(waiting.ok, false);
    assert.equal(!waiting.ok && waiting.waitMs, 800);
  });
});
