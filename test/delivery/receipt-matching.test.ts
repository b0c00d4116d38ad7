// Receipts against the real store of each engine, with the test in the worker's place: a Pigeon
// that only serves HTTP accepts the messages, and the test claims, records submits and applies
// receipts through the same core functions the worker and the carrier adapters use. Covers what a
// carrier does that the simulator rarely shows: a receipt before its submit is recorded, a message
// sent in several parts, and an id given in hex in one place and in decimal in the other.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AccountDirectory } from '../../src/core/accounts/directory.js';
import { applyParkedReceipts, applyReceipt, expireOverdueReceipts } from '../../src/core/delivery/receipts.js';
import { statusChange } from '../../src/core/delivery/status-change.js';
import type { DeliveryJob, DeliveryStore } from '../../src/core/ports.js';
import { CallbackReceiver } from '../helpers/callback-receiver.js';
import { withSql } from '../helpers/databases.js';
import { fixtureConfigYaml, RECIPIENT } from '../helpers/fixtures.js';
import { postMessage, smsBody } from '../helpers/http.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const NO_LIMITS = { unit: 'messages' as const, senderLimit: () => undefined, accountLimit: () => undefined, limited: false };

for (const backend of BACKENDS) {
  describe(`receipt matching (${backend})`, () => {
    let pigeon: TestPigeon;
    let receiver: CallbackReceiver;
    let store: DeliveryStore;
    let deps: { store: DeliveryStore; directory: AccountDirectory; now: () => number };
    // The workers' clock, which the test moves: claims, receipts and the receipt timeout read it.
    let clock = 0;

    before(async () => {
      receiver = await new CallbackReceiver().start();
      pigeon = await startPigeon({ backend, configYaml: fixtureConfigYaml({ callbackUrl: receiver.url }), env: { PIGEON_ROLE: 'api' } });
      store = pigeon.server.store.delivery;
      // The directory the server built from the same config.
      deps = { store, directory: pigeon.server.directory, now: () => clock };
    });
    after(async () => {
      await pigeon?.close();
      await receiver?.stop();
    });

    /** Sends one SMS through the API and claims its recipient as worker `w`. */
    async function claimed(text = 'hello', to = RECIPIENT): Promise<DeliveryJob> {
      const sent = await postMessage(pigeon, smsBody({ text, to: [to] }));
      assert.equal(sent.status, 202);
      // Past the message's own time (the wall clock), however long the tests before took.
      clock = Math.max(clock, Date.now()) + 1000;
      const { jobs } = await store.claimDeliveries({ workerId: 'w', now: clock, limit: 10, leaseMs: 60_000, rates: NO_LIMITS });
      const job = jobs.find((j) => j.message.id === sent.body.id);
      assert.ok(job, 'the message was claimed');
      return job;
    }

    async function statusOf(job: DeliveryJob): Promise<string> {
      const view = await pigeon.admin<{ recipients: Array<{ messageStatus: string }> }>('GET', `/messages/${job.message.id}`);
      return view.recipients[0]?.messageStatus ?? 'none';
    }

    /** The terminal callbacks queued for a message's recipient, by event type. */
    async function terminalCallbacks(job: DeliveryJob): Promise<string[]> {
      const rows = await withSql(pigeon.config.databaseUrl, (sql) =>
        sql.all<{ event_type: string }>(
          `SELECT event_type FROM callback_outbox WHERE message_id = ? AND event_type IN ('message-delivered', 'message-failed') ORDER BY id`,
          [job.message.id],
        ),
      );
      return rows.map((r) => r.event_type);
    }

    /** The carrier refs of a message, as (id, settled). */
    async function refsOf(job: DeliveryJob): Promise<string[]> {
      const rows = await withSql(pigeon.config.databaseUrl, (sql) =>
        sql.all<{ carrier_message_id: string; settled: number }>(
          'SELECT carrier_message_id, settled FROM carrier_refs WHERE message_id = ? ORDER BY carrier_message_id',
          [job.message.id],
        ),
      );
      return rows.map((r) => `${r.carrier_message_id}:${Number(r.settled)}`);
    }

    it('ends and dequeues a recipient whose outcome came with a submit recorded after its lease was taken over', async () => {
      const job = await claimed('taken over');
      // The lease runs out; another worker takes the recipient over.
      clock += 61_000;
      const { jobs } = await store.claimDeliveries({ workerId: 'w2', now: clock, limit: 10, leaseMs: 60_000, rates: NO_LIMITS });
      const takeover = jobs.find((j) => j.message.id === job.message.id);
      assert.ok(takeover, 'the second worker took the recipient over');
      const terminal = statusChange(deps.directory, job.message, job.destinationTn, 'DELIVERED', clock, { detail: 'receipt inline-1' });
      // The first worker's submit comes back with its outcome (a receipt due at once).
      const late = await store.recordSubmitted(job, 'w', 'sim', ['inline-1'], clock, { terminal });
      assert.deepEqual(late, { owned: false, receiptsWaiting: false, ended: true });
      assert.equal(await store.queuedCount(job.message.accountId), 0, 'an ended recipient is not queued, whoever held it');
      // The second worker's own submit changes nothing and settles at once; nobody claims it again.
      const second = await store.recordSubmitted(takeover, 'w2', 'sim', ['inline-2'], clock + 1, { terminal: { ...terminal, time: clock + 1 } });
      assert.deepEqual(second, { owned: false, receiptsWaiting: false, ended: false });
      clock += 61_000;
      const again = await store.claimDeliveries({ workerId: 'w3', now: clock, limit: 10, leaseMs: 60_000, rates: NO_LIMITS });
      assert.equal(again.jobs.filter((j) => j.message.id === job.message.id).length, 0, 'not claimed again');
      assert.equal(await statusOf(job), 'DELIVERED');
      assert.deepEqual(await terminalCallbacks(job), ['message-delivered']);
      assert.deepEqual(await refsOf(job), ['inline-1:1', 'inline-2:1']);
    });

    it('parks a receipt that comes before its submit is recorded, and applies it when the submit is', async () => {
      const job = await claimed();
      const receipt = { carrierMessageId: 'early-1', delivered: true, time: clock };
      assert.equal(await applyReceipt(deps, 'smsc-a', receipt), 'parked');
      assert.equal(await applyReceipt(deps, 'smsc-a', receipt), 'parked', 'a redelivered receipt is parked once more, harmlessly');
      assert.deepEqual(await applyParkedReceipts(deps), 0, 'nothing to apply while the submit is unrecorded');

      const recorded = await store.recordSubmitted(job, 'w', 'smsc-a', ['early-1'], clock);
      assert.deepEqual(recorded, { owned: true, receiptsWaiting: true, ended: false });
      assert.equal(await applyParkedReceipts(deps), 1);
      assert.equal(await statusOf(job), 'DELIVERED');
      assert.equal(await applyParkedReceipts(deps), 0, 'the parked receipt is gone once applied');
      assert.equal(await applyReceipt(deps, 'smsc-a', receipt), 'duplicate');
    });

    it('keeps parked receipts per carrier: the same id from another carrier does not match', async () => {
      const job = await claimed();
      assert.equal(await applyReceipt(deps, 'smsc-b', { carrierMessageId: 'shared-9', delivered: false, errorCode: 4720, time: clock }), 'parked');
      assert.deepEqual(await store.recordSubmitted(job, 'w', 'smsc-a', ['shared-9'], clock), { owned: true, receiptsWaiting: false, ended: false });
      assert.equal(await applyParkedReceipts(deps), 0);
      assert.equal(await statusOf(job), 'SENT');
      assert.equal(await applyReceipt(deps, 'smsc-a', { carrierMessageId: 'shared-9', delivered: true, time: clock }), 'applied');
    });

    it('delivers a message sent in three parts once every part is delivered, in any order', async () => {
      const job = await claimed('a long text');
      await store.recordSubmitted(job, 'w', 'smsc-a', ['p-1', 'p-2', 'p-3'], clock);
      assert.equal(await applyReceipt(deps, 'smsc-a', { carrierMessageId: 'p-3', delivered: true, time: clock }), 'partial');
      assert.equal(await applyReceipt(deps, 'smsc-a', { carrierMessageId: 'p-1', delivered: true, time: clock }), 'partial');
      assert.equal(await applyReceipt(deps, 'smsc-a', { carrierMessageId: 'p-1', delivered: true, time: clock }), 'partial', 'a repeated part counts once');
      assert.equal(await statusOf(job), 'SENT');
      assert.equal(await applyReceipt(deps, 'smsc-a', { carrierMessageId: 'p-2', delivered: true, time: clock }), 'applied');
      assert.equal(await statusOf(job), 'DELIVERED');
    });

    it('fails a multi-part message when any part fails, keeping what the carrier said', async () => {
      const job = await claimed('another long text');
      await store.recordSubmitted(job, 'w', 'smsc-a', ['f-1', 'f-2'], clock);
      assert.equal(await applyReceipt(deps, 'smsc-a', { carrierMessageId: 'f-1', delivered: true, time: clock }), 'partial');
      const failed = { carrierMessageId: 'f-2', delivered: false, errorCode: 4720, carrierDetail: 'stat=UNDELIV err=001', time: clock };
      assert.equal(await applyReceipt(deps, 'smsc-a', failed), 'applied');
      const view = await pigeon.admin<{ recipients: Array<{ messageStatus: string; errorCode: number }>; events: Array<{ status: string; detail?: string }> }>(
        'GET',
        `/messages/${job.message.id}`,
      );
      assert.equal(view.recipients[0]?.messageStatus, 'FAILED');
      assert.equal(view.recipients[0]?.errorCode, 4720);
      assert.match(view.events.find((e) => e.status === 'FAILED')?.detail ?? '', /^receipt f-2 \(stat=UNDELIV err=001\)$/);
    });

    it('matches a receipt by an alternate spelling of its id, also when it was parked first', async () => {
      const job = await claimed();
      // The submit response said 0x1F4 in hex, the receipt says 500 in decimal; the adapter offers both.
      await store.recordSubmitted(job, 'w', 'smsc-a', ['1F4'], clock);
      assert.equal(await applyReceipt(deps, 'smsc-a', { carrierMessageId: '500', alternateIds: ['1F4'], delivered: true, time: clock }), 'applied');

      const early = await claimed();
      assert.equal(await applyReceipt(deps, 'smsc-a', { carrierMessageId: '501', alternateIds: ['1F5'], delivered: true, time: clock }), 'parked');
      assert.deepEqual(await store.recordSubmitted(early, 'w', 'smsc-a', ['1F5'], clock), { owned: true, receiptsWaiting: true, ended: false });
      assert.equal(await applyParkedReceipts(deps), 1);
      assert.equal(await statusOf(early), 'DELIVERED');
    });

    it("weighs every spelling of a receipt's id together: the handset's ref wins over another's ref of an alternate spelling", async () => {
      // H's submit was answered 0x1A (hex); another handset's submit of the same SMSC was answered 26.
      // H's receipt says 26 in decimal, whose alternate spellings include 1A: it is H's.
      const h = await claimed('to h', '+19195550111');
      const other = await claimed('to other', '+19195550112');
      await store.recordSubmitted(h, 'w', 'smsc-a', ['1A'], clock);
      await store.recordSubmitted(other, 'w', 'smsc-a', ['26'], clock + 1);
      const receipt = { carrierMessageId: '26', alternateIds: ['1A'], destination: '+19195550111', delivered: true, time: clock };
      assert.equal(await applyReceipt(deps, 'smsc-a', receipt), 'applied');
      assert.deepEqual([await statusOf(h), await statusOf(other)], ['DELIVERED', 'SENT']);
      const forOther = { carrierMessageId: '26', alternateIds: ['38'], destination: '+19195550112', delivered: true, time: clock };
      assert.equal(await applyReceipt(deps, 'smsc-a', forOther), 'applied');
      assert.equal(await statusOf(other), 'DELIVERED');
    });

    it('ends every recipient when receipts race their submits and each other', async () => {
      // Each of 40 two-part messages: both parts' receipts and the submit's record at once. Whatever
      // interleaving the engine gives, what one of them misses the parked sweep finds.
      const jobs = await Promise.all(Array.from({ length: 40 }, (_, i) => postMessage(pigeon, smsBody({ text: `race ${i}` }))));
      assert.ok(jobs.every((r) => r.status === 202));
      clock = Math.max(clock, Date.now()) + 1000;
      const { jobs: claimedJobs } = await store.claimDeliveries({ workerId: 'w', now: clock, limit: 100, leaseMs: 60_000, rates: NO_LIMITS });
      assert.equal(claimedJobs.length, 40);
      await Promise.all(
        claimedJobs.flatMap((job, i) => [
          store.recordSubmitted(job, 'w', 'smsc-r', [`r${i}-a`, `r${i}-b`], clock),
          applyReceipt(deps, 'smsc-r', { carrierMessageId: `r${i}-a`, delivered: true, time: clock }),
          applyReceipt(deps, 'smsc-r', { carrierMessageId: `r${i}-b`, delivered: true, time: clock }),
        ]),
      );
      await applyParkedReceipts(deps);
      const statuses = await Promise.all(claimedJobs.map(statusOf));
      assert.deepEqual(statuses.filter((s) => s !== 'DELIVERED'), []);
    });

    // An SMSC whose id counter restarted (or wrapped) gives ids again; each id names a submit only
    // while that submit awaits its receipt.
    it('gives the receipt of a reused id to the submit awaiting it, not to the ended one that had it first', async () => {
      const first = await claimed();
      await store.recordSubmitted(first, 'w', 'smsc-a', ['reused-1'], clock);
      assert.equal(await applyReceipt(deps, 'smsc-a', { carrierMessageId: 'reused-1', delivered: true, time: clock }), 'applied');
      const second = await claimed();
      await store.recordSubmitted(second, 'w', 'smsc-a', ['reused-1'], clock);
      assert.deepEqual(await refsOf(second), ['reused-1:0'], 'the second submit of the id has its own ref');
      const failed = { carrierMessageId: 'reused-1', delivered: false, errorCode: 4720, time: clock };
      assert.equal(await applyReceipt(deps, 'smsc-a', failed), 'applied');
      assert.equal(await statusOf(second), 'FAILED');
      assert.equal(await statusOf(first), 'DELIVERED');
      assert.equal(await applyReceipt(deps, 'smsc-a', failed), 'duplicate', 'once both ended, a repeat is a late duplicate');
      assert.deepEqual(await terminalCallbacks(first), ['message-delivered']);
      assert.deepEqual(await terminalCallbacks(second), ['message-failed']);
    });

    it('gives each of two open submits that share an id the receipt naming its handset', async () => {
      const a = await claimed('to a', '+19195550101');
      const b = await claimed('to b', '+19195550102');
      await store.recordSubmitted(a, 'w', 'smsc-a', ['twin-1'], clock);
      await store.recordSubmitted(b, 'w', 'smsc-a', ['twin-1'], clock + 1);
      // A's first, although B's submit is the newer: the handset decides.
      const forA = { carrierMessageId: 'twin-1', destination: '+19195550101', delivered: true, time: clock };
      assert.equal(await applyReceipt(deps, 'smsc-a', forA), 'applied');
      assert.equal(await statusOf(a), 'DELIVERED');
      assert.equal(await statusOf(b), 'SENT');
      const forB = { carrierMessageId: 'twin-1', destination: '+19195550102', delivered: false, errorCode: 4720, time: clock };
      assert.equal(await applyReceipt(deps, 'smsc-a', forB), 'applied');
      assert.equal(await statusOf(b), 'FAILED');
      assert.equal(await applyReceipt(deps, 'smsc-a', forA), 'duplicate', "A's repeat goes to A's ended submit, not to another");
      assert.deepEqual([await terminalCallbacks(a), await terminalCallbacks(b)], [['message-delivered'], ['message-failed']]);
    });

    it('gives receipts that name no handset to the open submits of their id newest first (README)', async () => {
      const older = await claimed();
      const newer = await claimed();
      await store.recordSubmitted(older, 'w', 'smsc-a', ['twin-2'], clock);
      await store.recordSubmitted(newer, 'w', 'smsc-a', ['twin-2'], clock + 1);
      assert.equal(await applyReceipt(deps, 'smsc-a', { carrierMessageId: 'twin-2', delivered: true, time: clock }), 'applied');
      assert.deepEqual([await statusOf(older), await statusOf(newer)], ['SENT', 'DELIVERED']);
      assert.equal(await applyReceipt(deps, 'smsc-a', { carrierMessageId: 'twin-2', delivered: true, time: clock }), 'applied');
      assert.equal(await statusOf(older), 'DELIVERED');
    });

    it('parks the receipt of a reused id that comes before its submit is recorded, instead of giving it to the ended submit', async () => {
      const old = await claimed('old', '+19195550103');
      await store.recordSubmitted(old, 'w', 'smsc-a', ['early-r'], clock);
      const receiptOfOld = { carrierMessageId: 'early-r', destination: '+19195550103', delivered: true, time: clock };
      assert.equal(await applyReceipt(deps, 'smsc-a', receiptOfOld), 'applied');
      const fresh = await claimed('fresh', '+19195550104');
      // The SMSC gave the id again and its receipt came before the submit response.
      const receiptOfFresh = { carrierMessageId: 'early-r', destination: '+19195550104', delivered: false, errorCode: 4720, time: clock };
      assert.equal(await applyReceipt(deps, 'smsc-a', receiptOfFresh), 'parked');
      assert.equal(await applyParkedReceipts(deps), 0, "the ended submit's ref does not take it out of the park");
      assert.deepEqual(await store.recordSubmitted(fresh, 'w', 'smsc-a', ['early-r'], clock), { owned: true, receiptsWaiting: true, ended: false });
      assert.equal(await applyParkedReceipts(deps), 1);
      assert.equal(await statusOf(fresh), 'FAILED');
      assert.equal(await statusOf(old), 'DELIVERED');
      assert.deepEqual([await terminalCallbacks(old), await terminalCallbacks(fresh)], [['message-delivered'], ['message-failed']]);
    });

    it('takes a receipt that matches only ended submits for a late duplicate: no second callback', async () => {
      const job = await claimed('dup', '+19195550105');
      await store.recordSubmitted(job, 'w', 'smsc-a', ['late-1'], clock);
      assert.equal(await applyReceipt(deps, 'smsc-a', { carrierMessageId: 'late-1', delivered: true, time: clock }), 'applied');
      const again = { carrierMessageId: 'late-1', delivered: false, errorCode: 4720, time: clock };
      assert.equal(await applyReceipt(deps, 'smsc-a', again), 'duplicate', 'naming no handset');
      assert.equal(await applyReceipt(deps, 'smsc-a', { ...again, destination: '+19195550105' }), 'duplicate', 'naming its handset');
      assert.equal(await statusOf(job), 'DELIVERED');
      assert.deepEqual(await terminalCallbacks(job), ['message-delivered']);
      assert.equal(await applyParkedReceipts(deps), 0, 'nothing was parked');
    });

    it('drops parked receipts no submit claimed after the receipt timeout', async () => {
      const parkedReceipts = () => withSql(pigeon.config.databaseUrl, (sql) => sql.count('SELECT count(*) FROM parked_receipts'));
      // One is left from the test of carriers above: the receipt of smsc-b that nothing matched.
      const before = await parkedReceipts();
      assert.equal(await applyReceipt(deps, 'smsc-a', { carrierMessageId: 'orphan-1', delivered: true, time: clock }), 'parked');
      assert.equal(await parkedReceipts(), before + 1);
      clock += 10_000;
      const swept = await expireOverdueReceipts(deps, 60_000);
      assert.equal(swept.droppedParked, 0, 'kept while younger than the receipt timeout');
      clock += 60_000;
      assert.equal((await expireOverdueReceipts(deps, 60_000)).droppedParked, before + 1);
      assert.equal(await parkedReceipts(), 0);
      assert.equal(await applyParkedReceipts(deps), 0);
    });

    it('prunes the refs of ended recipients older than twice the receipt timeout, in the receipt sweep', async () => {
      const timeout = 60_000;
      const ended = await claimed();
      const open = await claimed();
      await store.recordSubmitted(ended, 'w', 'smsc-p', ['prune-1'], clock);
      await store.recordSubmitted(open, 'w', 'smsc-p', ['prune-2'], clock);
      await applyReceipt(deps, 'smsc-p', { carrierMessageId: 'prune-1', delivered: true, time: clock });
      assert.equal(await store.pruneCarrierRefs(clock + 10 * timeout, 1000) >= 1, true);
      assert.deepEqual([await refsOf(ended), await refsOf(open)], [[], ['prune-2:0']], 'only ended recipients lose their refs');

      const young = await claimed();
      await store.recordSubmitted(young, 'w', 'smsc-p', ['prune-3'], clock);
      await applyReceipt(deps, 'smsc-p', { carrierMessageId: 'prune-3', delivered: true, time: clock });
      clock += timeout + 1000;
      const kept = await expireOverdueReceipts(deps, timeout);
      assert.equal(kept.ended, 1, 'the open recipient fails with 9902 after the timeout');
      assert.equal(kept.prunedRefs, 0, 'a ref is kept for twice the receipt timeout');
      assert.deepEqual([await refsOf(open), await refsOf(young)], [['prune-2:1'], ['prune-3:1']]);
      clock += timeout;
      const swept = await expireOverdueReceipts(deps, timeout);
      assert.ok(swept.prunedRefs >= 2, `pruned ${swept.prunedRefs}`);
      assert.deepEqual([await refsOf(open), await refsOf(young)], [[], []]);
      const left = await withSql(pigeon.config.databaseUrl, (sql) => sql.count('SELECT count(*) FROM carrier_refs'));
      assert.equal(left, 0, 'every ref in this database was older');
    });

    it('queues exactly one terminal callback per recipient through all of the above', async () => {
      const counts = await withSql(pigeon.config.databaseUrl, (sql) =>
        sql.all<{ message_id: string; n: number | string }>(
          `SELECT message_id, count(*) AS n FROM callback_outbox WHERE event_type IN ('message-delivered', 'message-failed') GROUP BY message_id`,
        ),
      );
      assert.equal(counts.length, 61, 'every recipient above ended');
      assert.deepEqual(counts.filter((r) => Number(r.n) !== 1), []);
    });
  });
}
