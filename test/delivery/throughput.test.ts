// Throughput (reference d.4): per-number and per-account token buckets measured from the recorded
// timeline, the default burst (rate + 10), limits counted in segments, first-in first-out per sender,
// `high` before `default`, expiration while held back by a limit (4360), and the account queue that
// answers 429 when full.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_A, ACCOUNT_B, AUTH_B, RECIPIENT, RECIPIENT_2 } from '../helpers/fixtures.js';
import { postMessage, smsBody } from '../helpers/http.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../helpers/databases.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';
import {
  assertNonDecreasing,
  configYaml,
  eventually,
  maxInWindow,
  records,
  send,
  startHarness,
  statuses,
  timeOf,
  view,
  type Harness,
} from './e2e-support.js';

/** SENDING times of messages, in the order given; waits until the last one is terminal first. */
async function sendingTimes(pigeon: TestPigeon, ids: readonly string[]): Promise<number[]> {
  for (const id of ids) await pigeon.waitForMessage(id, 'terminal', 30);
  const times: number[] = [];
  for (const id of ids) times.push(timeOf((await view(pigeon, id)).events, 'SENDING'));
  return times;
}

/**
 * The token-bucket bound: at most `burst + rate × elapsed` messages may have gone by any time, counted
 * from `since`, the acceptance of the first message (its claim can only come later, so the check
 * needs no slack for the milliseconds between a claim and its SENDING record).
 */
function assertBucket(times: readonly number[], rate: number, burst: number, since: number): void {
  const sorted = [...times].sort((a, b) => a - b);
  sorted.forEach((t, i) => {
    const allowed = burst + (rate * (t - since)) / 1000;
    assert.ok(i + 1 <= allowed, `message ${i + 1} went ${t - since} ms after the first was accepted: more than ${allowed.toFixed(2)} allowed`);
  });
}

const PRIORITY_RATES = 'delivery: { rateLimits: { unit: messages, burstExtra: 0 } }\n';
const PRIORITY_THROUGHPUT_A = { numbers: { [ACCOUNT_A.number]: 3, [ACCOUNT_A.secondNumber]: 0.5, [ACCOUNT_A.tollFreeNumber]: 0.5 } };

for (const backend of BACKENDS) {
  describe(`rate limits per number and per account (${backend})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({
        backend,
        extra: 'delivery: { rateLimits: { unit: messages, burstExtra: 0, numberTypes: { local: 5 } } }\n',
        throughputA: { perSecond: 4 },
      });
    });
    after(() => h.close());

    it('sends at most 5 per second from one local number (burst 5), in the order they were accepted', async () => {
      const ids: string[] = [];
      let firstAccepted = 0;
      for (let i = 0; i < 15; i++) {
        const created = await send(
          h.pigeon,
          { applicationId: ACCOUNT_B.applicationId, from: ACCOUNT_B.number, to: [RECIPIENT], text: `n${i}` },
          { auth: AUTH_B, accountId: ACCOUNT_B.id },
        );
        ids.push(created.id);
        firstAccepted ||= Date.parse(created.time);
      }
      const times = await sendingTimes(h.pigeon, ids);
      // 5 at once, then one every 200 ms: the 15th goes 2 s after the first.
      const span = Math.max(...times) - firstAccepted;
      assert.ok(span >= 2000, `15 messages at 5/s took only ${span} ms`);
      assert.ok(maxInWindow(times, 1000) <= 10, `${maxInWindow(times, 1000)} in one second`);
      assertBucket(times, 5, 5, firstAccepted);
      // First in, first out per sender.
      assertNonDecreasing(times, 'SENDING times in send order');
      for (const id of ids) {
        const [record] = await records(h.pigeon, id, AUTH_B, ACCOUNT_B.id);
        assert.equal(record?.messageStatus, 'DELIVERED');
      }
    });

    it('holds an account to its own perSecond limit across its numbers, FIFO per number', async () => {
      const byNumber = new Map<string, string[]>([
        [ACCOUNT_A.number, []],
        [ACCOUNT_A.secondNumber, []],
      ]);
      const ids: string[] = [];
      let firstAccepted = 0;
      for (let i = 0; i < 12; i++) {
        const from = i % 2 === 0 ? ACCOUNT_A.number : ACCOUNT_A.secondNumber;
        const created = await send(h.pigeon, smsBody({ from, text: `a${i}` }));
        firstAccepted ||= Date.parse(created.time);
        ids.push(created.id);
        byNumber.get(from)?.push(created.id);
      }
      const times = await sendingTimes(h.pigeon, ids);
      // 4 at once, then one every 250 ms: the 12th goes 2 s after the first, although each number allows 5/s.
      const span = Math.max(...times) - firstAccepted;
      assert.ok(span >= 2000, `12 messages at 4/s took only ${span} ms`);
      assert.ok(maxInWindow(times, 1000) <= 8, `${maxInWindow(times, 1000)} in one second`);
      assertBucket(times, 4, 4, firstAccepted);
      for (const [number, own] of byNumber) assertNonDecreasing(await sendingTimes(h.pigeon, own), `SENDING order of ${number}`);
    });
  });

  describe(`the default burst allowance (${backend})`, () => {
    let h: Harness;
    before(async () => {
      // No burstExtra: Bandwidth's burst of the rate + 10 (reference d.4) applies.
      // Toll-free numbers at one message per 50 s: what is not in the burst cannot go during the test.
      h = await startHarness({ backend, extra: 'delivery: { rateLimits: { unit: messages, numberTypes: { local: 1, tollFree: 0.02 } } }\n' });
    });
    after(() => h.close());

    it('sends the first rate + 10 at once from a slow number and holds the next for a refilled token', async () => {
      // 0.02/s: a bucket of 10.02 tokens. Without the burst the second message would wait 50 s.
      const tollFree = { applicationId: ACCOUNT_A.otherApplicationId, from: ACCOUNT_A.tollFreeNumber };
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push((await send(h.pigeon, smsBody({ ...tollFree, text: `slow burst ${i}` }))).id);
      for (const id of ids.slice(0, 10)) await h.pigeon.waitForMessage(id, 'terminal', 30);
      // The eleventh needs a token the bucket only has again after 49 s.
      for (const id of ids.slice(10)) assert.deepEqual(statuses((await view(h.pigeon, id)).events), ['RECEIVED', 'QUEUED'], id);
    });

    it('sends the first 11 at once from a number limited to 1 per second, then one per second', async () => {
      const ids: string[] = [];
      let firstAccepted = 0;
      for (let i = 0; i < 14; i++) {
        const created = await send(h.pigeon, smsBody({ text: `burst ${i}` }));
        ids.push(created.id);
        firstAccepted ||= Date.parse(created.time);
      }
      const times = await sendingTimes(h.pigeon, ids);
      assertNonDecreasing(times, 'SENDING times in send order');
      const at = (i: number) => (times[i] as number) - (times[0] as number);
      // (That the first 11 go at once, without waiting for a refill, the test above shows by its mechanism.)
      // The twelfth waits for the first refilled token, a second after the bucket was first used, and
      // each one after it for one more second: counted from the first acceptance, which comes before
      // the bucket's first use (the first SENDING record can come late, which shrank the gaps after it).
      assertBucket(times, 1, 11, firstAccepted);
      for (const i of [11, 12, 13]) {
        assert.ok((times[i] as number) - firstAccepted >= (i - 10) * 1000, `message ${i + 1} went ${(times[i] as number) - firstAccepted} ms after the first was accepted`);
      }
      // One per second, not slower: the refill is not lost while messages wait.
      assert.ok(at(13) < 6000, `the 14th went ${at(13)} ms after the first`);
    });
  });

  describe(`rate limits counted in segments (${backend})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({
        backend,
        extra: 'delivery: { rateLimits: { unit: segments, burstExtra: 0, numberTypes: { local: 3 } } }\n',
      });
    });
    after(() => h.close());

    it('takes 3 tokens for a 3-segment SMS', async () => {
      // 3 tokens, 3 per second: the long SMS empties the bucket; each short one then waits a third of a second.
      const long = await send(h.pigeon, smsBody({ text: 'a'.repeat(400) }));
      assert.equal(long.segmentCount, 3);
      const shorts = [await send(h.pigeon, smsBody({ text: 'short 1' })), await send(h.pigeon, smsBody({ text: 'short 2' }))];
      const [longAt, short1At, short2At] = await sendingTimes(h.pigeon, [long.id, ...shorts.map((s) => s.id)]);
      // Counting messages, all three would fit the bucket at once (0 ms apart). Counting segments they
      // come 333 and 667 ms after the long one; the bounds leave room for the long one's SENDING record
      // being written late on a loaded machine (it was 38 ms late once in CI).
      assert.ok(short1At! - longAt! >= 200, `the first 1-segment SMS went ${short1At! - longAt!} ms after the 3-segment one`);
      assert.ok(short2At! - longAt! >= 500, `the second 1-segment SMS went ${short2At! - longAt!} ms after the 3-segment one`);
      assertBucket([longAt!, longAt!, longAt!, short1At!, short2At!], 3, 3, Date.parse(long.time));
    });
  });

  describe(`priority and expiration under a rate limit (${backend})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({
        backend,
        extra: PRIORITY_RATES,
        throughputA: PRIORITY_THROUGHPUT_A,
        otherToReceiver: true,
      });
    });
    after(() => h.close());

    it('sends queued high-priority messages before the default ones queued earlier', async () => {
      // Everything is queued before any worker runs (an API-only Pigeon accepts it, then one with
      // workers starts on the same database): which goes first is the queue's order alone, not how
      // quickly the sends came in.
      const dir = mkdtempSync(join(tmpdir(), 'pigeon-priority-'));
      const database = await createTestDatabase(backend, dir);
      const yaml = configYaml({ extra: PRIORITY_RATES, throughputA: PRIORITY_THROUGHPUT_A });
      const accepting = await startPigeon({ dir, databaseUrl: database.url, configYaml: yaml, env: { PIGEON_ROLE: 'api' } });
      const defaults: Array<{ id: string; time: string }> = [];
      const highs: Array<{ id: string; time: string }> = [];
      try {
        for (let i = 0; i < 6; i++) defaults.push(await send(accepting, smsBody({ text: `default ${i}` })));
        for (let i = 0; i < 3; i++) highs.push(await send(accepting, smsBody({ text: `high ${i}`, priority: 'high' })));
      } finally {
        await accepting.close();
      }
      const workerStarted = Date.now();
      const worker = await startPigeon({ dir, databaseUrl: database.url, configYaml: yaml });
      try {
        const defaultTimes = await sendingTimes(worker, defaults.map((d) => d.id));
        const highTimes = await sendingTimes(worker, highs.map((d) => d.id));
        assert.ok(
          Math.max(...highTimes) <= Math.min(...defaultTimes),
          `high sent at ${JSON.stringify(highTimes)}, defaults at ${JSON.stringify(defaultTimes)}`,
        );
        assertNonDecreasing(highTimes, 'high-priority SENDING order');
        assertNonDecreasing(defaultTimes, 'default SENDING order');
        // The rate limit held: the defaults waited for tokens behind the high ones.
        assertBucket([...defaultTimes, ...highTimes], 3, 3, workerStarted);
      } finally {
        await worker.close();
        await database.drop();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('fails a message whose expiration passes while the number is held back with 4360', async () => {
      // 0.5/s: the filler takes the number's turn, the next one could go 2 s later, after its expiration.
      const filler = await send(h.pigeon, smsBody({ from: ACCOUNT_A.secondNumber, text: 'filler' }));
      const expiration = new Date(Date.now() + 1000).toISOString();
      const created = await send(h.pigeon, smsBody({ from: ACCOUNT_A.secondNumber, to: [RECIPIENT_2], text: 'too late', expiration }));
      assert.equal(created.expiration, expiration);

      const settled = await h.pigeon.waitForMessage(created.id, 'callbacks', 10);
      assert.deepEqual(statuses(settled.events), ['RECEIVED', 'QUEUED', 'FAILED']);
      const failedAt = timeOf(settled.events, 'FAILED');
      assert.ok(failedAt >= Date.parse(expiration), 'failed before its expiration');
      const events = h.receiver.eventsFor(created.id);
      assert.equal(events.length, 1);
      assert.equal(events[0]?.type, 'message-failed');
      assert.equal(events[0]?.errorCode, 4360);
      assert.equal(events[0]?.description, 'message-not-sent-expiration-date-passed');
      assert.equal(events[0]?.to, RECIPIENT_2);
      const [record] = await records(h.pigeon, created.id);
      assert.equal(record?.messageStatus, 'FAILED');
      assert.equal(record?.errorCode, 4360);
      const [fillerRecord] = await records(h.pigeon, filler.id);
      assert.equal(fillerRecord?.messageStatus, 'DELIVERED');
    });

    it('reports 4360 when the expiration passes, not only when the held-back message would have had its turn', async () => {
      // 0.5/s: one message a second at most. Three queued ahead of it from the same number go at
      // 0, 1 and 2 s; it expires after half a second and must fail before the last of them goes,
      // which it could not if 4360 came only at its own turn (first in, first out per number).
      const tollFree = { applicationId: ACCOUNT_A.otherApplicationId, from: ACCOUNT_A.tollFreeNumber };
      const ahead: string[] = [];
      for (let i = 0; i < 3; i++) ahead.push((await send(h.pigeon, smsBody({ ...tollFree, text: `ahead ${i}` }))).id);
      const expiration = new Date(Date.now() + 500).toISOString();
      const created = await send(h.pigeon, smsBody({ ...tollFree, text: 'too late', expiration }));
      const settled = await h.pigeon.waitForMessage(created.id, 'callbacks', 10);
      assert.equal(settled.recipients[0]?.errorCode, 4360);
      const failedAt = timeOf(settled.events, 'FAILED');
      const aheadTimes = await sendingTimes(h.pigeon, ahead);
      assert.ok(failedAt < (aheadTimes.at(-1) as number), `failed ${failedAt - (aheadTimes.at(-1) as number)} ms after the last message ahead of it went`);
      assert.ok(failedAt >= Date.parse(expiration), 'failed before its expiration');
    });
  });

  describe(`account queue full (${backend})`, () => {
    let h: Harness;
    before(async () => {
      // 1 message/s for the account, a queue of 0.05 minutes of it: 3 messages.
      h = await startHarness({
        backend,
        extra: 'delivery: { rateLimits: { unit: messages, burstExtra: 0, queueMinutes: 0.05 } }\n',
        throughputA: { perSecond: 1 },
      });
    });
    after(() => h.close());

    it('answers 429 max-message-queue-size-exceeded once the queue holds its capacity, counting recipients', async () => {
      // The first message takes the account's token; the next ones wait a second each in the queue.
      const first = await send(h.pigeon, smsBody({ text: 'first' }));
      await h.pigeon.waitForMessage(first.id, 'terminal');
      const queued: Array<{ id: string }> = [];
      for (let i = 0; i < 3; i++) queued.push(await send(h.pigeon, smsBody({ text: `queued ${i}` })));
      const full = await postMessage(h.pigeon, smsBody({ text: 'one too many' }));
      assert.equal(full.status, 429);
      assert.deepEqual(full.body, {
        type: 'max-message-queue-size-exceeded',
        description:
          'The SMS queue for your account is full and cannot accept more messages right now. Your allowed rate is 60 messages per minute. The capacity of this queue is 3 messages (0.1 minutes). Reduce your message sending rate, or contact support to increase your allowed rate.',
      });

      // One leaves the queue a second later: room for one recipient, not for a group of two.
      await eventually(async () => {
        const [record] = await records(h.pigeon, queued[0]!.id);
        // A recipient leaves the queue when the carrier took it (SENT), not when a worker claimed it (SENDING).
        return record && !['QUEUED', 'SENDING'].includes(record.messageStatus) ? record : undefined;
      }, 'the first queued message to leave the queue');
      const group = await postMessage(h.pigeon, smsBody({ to: [RECIPIENT, RECIPIENT_2], text: 'group' }));
      assert.equal(group.status, 429);
      assert.equal(group.body.type, 'max-message-queue-size-exceeded');
      const single = await postMessage(h.pigeon, smsBody({ text: 'fits again' }));
      assert.equal(single.status, 202);
      // Nothing refused was stored.
      const listed = await records(h.pigeon, String(single.body.id));
      assert.equal(listed.length, 1);
    });
  });
}
