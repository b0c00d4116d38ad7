// The bound on concurrent scrypt checks: a flood of bad credentials must leave libuv's thread pool
// free for SQLite's fsync. Real scrypt runs (at the cheapest cost a hash may declare); the
// authenticator's onCheck hook only observes how many run at a time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Authenticator, DEFAULT_MAX_CONCURRENT_CHECKS, Semaphore, SemaphoreFullError } from '../../src/core/accounts/authenticator.js';
import { AccountDirectory } from '../../src/core/accounts/directory.js';
import { hashPassword } from '../../src/core/accounts/passwords.js';

const ACCOUNT = '9900000';
const PASSWORD = 'right-password';

async function directory(): Promise<AccountDirectory> {
  const passwordHash = await hashPassword(PASSWORD, { ln: 10, r: 8, p: 1 });
  return AccountDirectory.fromConfig([{ id: ACCOUNT, users: [{ username: 'api-user', passwordHash }], applications: [] }]);
}

/** An authenticator whose scrypt checks are counted: `peak` is the most that ever ran at once. */
async function observed(options: { maxConcurrentChecks?: number; maxQueuedChecks?: number } = {}) {
  const stats = { running: 0, peak: 0, started: 0 };
  const authenticator = new Authenticator(await directory(), Date.now, {
    ...options,
    onCheck: (event) => {
      if (event === 'start') {
        stats.started++;
        stats.running++;
        stats.peak = Math.max(stats.peak, stats.running);
      } else stats.running--;
    },
  });
  return { authenticator, stats };
}

describe('Semaphore', () => {
  it('runs at most its limit at once and starts the rest in arrival order', async () => {
    const semaphore = new Semaphore(2);
    const releases: Array<() => void> = [];
    const started: number[] = [];
    const done = Array.from({ length: 5 }, (_, i) =>
      semaphore.run(
        () =>
          new Promise<number>((resolve) => {
            started.push(i);
            releases.push(() => resolve(i));
          }),
      ),
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started, [0, 1]);
    for (let finished = 0; finished < 5; finished++) {
      releases[finished]?.();
      await done[finished];
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(started, [0, 1, 2, 3, 4].slice(0, Math.min(5, finished + 3)));
    }
    assert.deepEqual(await Promise.all(done), [0, 1, 2, 3, 4]);
  });

  it('frees the slot of a task that throws', async () => {
    const semaphore = new Semaphore(1);
    await assert.rejects(semaphore.run(() => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await semaphore.run(() => Promise.resolve('next')), 'next');
  });

  it('refuses a task at once when as many as allowed are already waiting', async () => {
    const semaphore = new Semaphore(1, 1);
    let release = () => {};
    const running = semaphore.run(() => new Promise<void>((resolve) => (release = resolve)));
    const queued = semaphore.run(() => Promise.resolve('queued'));
    await assert.rejects(semaphore.run(() => Promise.resolve('refused')), SemaphoreFullError);
    release();
    await running;
    assert.equal(await queued, 'queued');
    assert.equal(await semaphore.run(() => Promise.resolve('later')), 'later');
  });

  it('refuses a limit below one', () => {
    assert.throws(() => new Semaphore(0), RangeError);
  });
});

describe('Authenticator under a flood of bad credentials', () => {
  it(`never runs more than ${DEFAULT_MAX_CONCURRENT_CHECKS} scrypt checks at once by default`, async () => {
    const { authenticator, stats } = await observed();
    // Distinct passwords, so no two attempts share a check: each costs its own scrypt.
    const outcomes = await Promise.all(
      Array.from({ length: 24 }, (_, i) => authenticator.authenticate(ACCOUNT, 'api-user', `wrong-${i}`)),
    );
    assert.deepEqual(new Set(outcomes), new Set(['unauthorized']));
    assert.equal(stats.started, 24, 'every attempt was really checked');
    assert.equal(stats.peak, DEFAULT_MAX_CONCURRENT_CHECKS);
    assert.equal(stats.running, 0);
  });

  it('bounds unknown users and accounts (the decoy check) the same way', async () => {
    const { authenticator, stats } = await observed({ maxConcurrentChecks: 3 });
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 2 ? authenticator.authenticate(ACCOUNT, `nobody-${i}`, 'x') : authenticator.authenticate(`no-account-${i}`, 'u', 'x'),
      ),
    );
    assert.deepEqual(new Set(outcomes), new Set(['unauthorized']));
    assert.equal(stats.started, 12);
    assert.equal(stats.peak, 3);
  });

  it("answers 'busy' without a check once the queue is full, and checks again once it has drained", async () => {
    const { authenticator, stats } = await observed({ maxConcurrentChecks: 1, maxQueuedChecks: 3 });
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) => authenticator.authenticate(ACCOUNT, 'api-user', `wrong-${i}`)),
    );
    // One running and three queued are checked; the other four are refused without costing a scrypt.
    assert.deepEqual(outcomes, [...Array(4).fill('unauthorized'), ...Array(4).fill('busy')]);
    assert.equal(stats.started, 4);
    assert.equal(await authenticator.authenticate(ACCOUNT, 'api-user', PASSWORD), 'ok');
  });

  it('still lets the right password in, during and after the flood', async () => {
    const { authenticator, stats } = await observed();
    const flood = Array.from({ length: 16 }, (_, i) => authenticator.authenticate(ACCOUNT, 'api-user', `wrong-${i}`));
    // The same wrong password as the first flood entry and the right one, both queued behind the flood.
    const [right, sameWrong] = await Promise.all([
      authenticator.authenticate(ACCOUNT, 'api-user', PASSWORD),
      authenticator.authenticate(ACCOUNT, 'api-user', 'wrong-0'),
    ]);
    assert.equal(right, 'ok');
    assert.equal(sameWrong, 'unauthorized');
    assert.deepEqual(new Set(await Promise.all(flood)), new Set(['unauthorized']));
    assert.ok(stats.peak <= DEFAULT_MAX_CONCURRENT_CHECKS);
    // A failure is not remembered: the wrong password is checked again, and still fails…
    const before = stats.started;
    assert.equal(await authenticator.authenticate(ACCOUNT, 'api-user', 'wrong-0'), 'unauthorized');
    assert.equal(stats.started, before + 1);
    // …while the success is, so steady traffic pays no scrypt.
    assert.equal(await authenticator.authenticate(ACCOUNT, 'api-user', PASSWORD), 'ok');
    assert.equal(stats.started, before + 1);
  });
});
