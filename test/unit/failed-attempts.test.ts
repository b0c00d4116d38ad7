// The failed-attempt limiter every sign-in surface shares (core/accounts/failed-attempts.ts), on a
// fake clock: the three buckets, what a success clears, and guessing from many clients, which
// slows to one check per second for the credential while clients that signed in with it pass.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FailedAttempts } from '../../src/core/accounts/failed-attempts.js';

const limits = { perCredentialAndClient: 3, perClient: 5, perCredential: 10, windowMs: 60_000 };

function limiter() {
  let now = 1_000_000;
  const attempts = new FailedAttempts(limits, () => now);
  return { attempts, advance: (ms: number) => (now += ms) };
}

describe('failed attempts', () => {
  it('refuses a client after its failures for one credential, until the first leaves the window', () => {
    const { attempts, advance } = limiter();
    for (let i = 0; i < 3; i++) {
      assert.equal(attempts.retryAfter('x', 'c'), 0);
      attempts.failed('x', 'c');
      advance(1000);
    }
    assert.equal(attempts.retryAfter('x', 'c'), 57);
    assert.equal(attempts.retryAfter('x', 'd'), 0, 'another client');
    assert.equal(attempts.retryAfter('y', 'c'), 0, 'another credential');
    advance(57_000);
    assert.equal(attempts.retryAfter('x', 'c'), 0);
  });

  it('refuses a client guessing many credentials, but not the credentials it signed in with', () => {
    const { attempts } = limiter();
    attempts.succeeded('app', 'nat');
    for (let i = 0; i < 5; i++) attempts.failed(`user${i}`, 'nat');
    assert.ok(attempts.retryAfter('someone-else', 'nat') > 0);
    assert.equal(attempts.retryAfter('someone-else', 'd'), 0);
    // An application behind the same address as the guesser keeps working.
    assert.equal(attempts.retryAfter('app', 'nat'), 0);
  });

  it('forgets a pair\'s failures on success', () => {
    const { attempts } = limiter();
    attempts.failed('x', 'c');
    attempts.failed('x', 'c');
    attempts.succeeded('x', 'c');
    attempts.failed('x', 'c');
    attempts.failed('x', 'c');
    assert.equal(attempts.retryAfter('x', 'c'), 0);
  });

  it('lets a credential guessed from many clients be checked once a second, and its known clients always', () => {
    const { attempts, advance } = limiter();
    attempts.succeeded('x', 'home');
    for (let i = 0; i < 10; i++) attempts.failed('x', `bot${i}`);
    assert.equal(attempts.retryAfter('x', 'home'), 0, 'a client that signed in before');
    assert.equal(attempts.retryAfter('x', 'new'), 0, 'the first check this second');
    assert.equal(attempts.retryAfter('x', 'bot99'), 1, 'the next waits');
    assert.equal(attempts.retryAfter('x', 'home'), 0);
    advance(1000);
    assert.equal(attempts.retryAfter('x', 'bot99'), 0);
    assert.equal(attempts.retryAfter('y', 'bot98'), 0, 'other credentials are not slowed');
  });
});
