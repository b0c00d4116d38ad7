// The promise: nothing that got a 202 is ever lost. A Pigeon process is killed with SIGKILL (no
// shutdown code runs), a new one is started on the same database, and every recipient of every
// accepted message must still end — delivered or failed, exactly once in the database — with its
// terminal callback, which may arrive more than once only as a resend of the same outbox row. On
// each storage engine: on PostgreSQL the dead process also leaves leases (simulator receipts, callback
// claims) that the next one must wait out.
//
// Both engines commit writes in batches (group commit: accepts, status changes, submit records,
// receipts, callback attempts of one turn of the event loop in one transaction). The mid-batch
// scenario kills the process while such batches are being written: once a known share of the
// submits is recorded, and on PostgreSQL at a moment when one of its transactions holding writes is
// open (seen in pg_stat_activity, and counted as rolled back by the server after the kill).
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { CallbackReceiver } from '../helpers/callback-receiver.js';
import { BACKENDS, type Backend } from '../helpers/databases.js';
import {
  auditDatabase,
  childStatus,
  commitBatches,
  crashWorkspace,
  destinationsOf,
  errorLines,
  expectedOutcome,
  killHard,
  openWriteTransactions,
  outstandingWork,
  pollUntil,
  RECEIPT_LEASE_MS,
  recipientKey,
  sendAll,
  startChild,
  stopGracefully,
  submittedCount,
  TerminalTracker,
  warmUp,
  type PigeonChild,
} from './crash-harness.js';

interface Scenario {
  label: string;
  messages: number;
  /**
   * mid-delivery: a process in role all is killed, requests possibly still in flight, once the
   * receiver has seen terminal callbacks for `share` of the recipients being sent.
   * after-202: a process in role api (it accepts but never delivers) is killed as soon as every
   * request has been answered, so the next process finds all the work untouched.
   * mid-batch: a process in role all is killed once `share` of the planned recipients have a
   * recorded submit, while its group commits are writing (on PostgreSQL: with a batch open).
   * failpoint: a process in role all kills itself at a batch edge (PIGEON_TEST_FAILPOINT, see
   * src/shared/failpoint.ts: `<write>:<before|after>:<n>`), with the simulator answering receipts
   * at once, so that the submit, its receipt and its callback are one write.
   */
  kill: { when: 'mid-delivery'; share: number } | { when: 'mid-batch'; share: number } | { when: 'after-202' } | { when: 'failpoint'; at: string };
}

async function runScenario(t: TestContext, backend: Backend, scenario: Scenario): Promise<void> {
  const receiver = await new CallbackReceiver().start();
  const children: PigeonChild[] = [];
  const workspace = await crashWorkspace(receiver.url, backend, scenario.kill.when === 'failpoint' ? { latencyMs: 0 } : {});
  try {
    const tracker = new TerminalTracker(receiver);
    const plannedRecipients = Array.from({ length: scenario.messages }, (_, i) => destinationsOf(i).length).reduce((a, b) => a + b, 0);

    // ---- First life: accept, (start to) deliver, die. ----
    const failpoint = scenario.kill.when === 'failpoint' ? { PIGEON_TEST_FAILPOINT: scenario.kill.at } : undefined;
    const first = await startChild(workspace, scenario.kill.when === 'after-202' ? 'api' : 'all', failpoint);
    children.push(first);
    await warmUp(first.url);
    const started = Date.now();
    const sending = sendAll(first.url, scenario.messages, scenario.label);
    let batchesAtKill: { batches: number; writes: number; submitted: number; open?: number; rolledBack?: number } | undefined;
    if (scenario.kill.when === 'mid-delivery') {
      const threshold = Math.ceil(plannedRecipients * scenario.kill.share);
      await receiver.waitFor(() => tracker.update().byRecipient.size >= threshold, 20_000, `${threshold} terminal callbacks before the kill`);
    } else if (scenario.kill.when === 'mid-batch') {
      const threshold = Math.ceil(plannedRecipients * scenario.kill.share);
      await pollUntil(async () => (await submittedCount(workspace.databaseUrl)) >= threshold, 30_000, `${threshold} recorded submits`, 10);
      const batches = await commitBatches(first);
      const submitted = await submittedCount(workspace.databaseUrl);
      if (backend === 'postgres') {
        // Killed the moment one of its transactions is seen open with writes in it.
        let seen = { open: 0, rolledBack: 0 };
        await pollUntil(async () => (seen = await openWriteTransactions(workspace.databaseUrl)).open > 0, 10_000, 'an open batch', 1);
        batchesAtKill = { ...batches, submitted, open: seen.open, rolledBack: seen.rolledBack };
      } else {
        batchesAtKill = { ...batches, submitted };
      }
    } else if (scenario.kill.when === 'failpoint') {
      const died = await Promise.race([first.exited, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 30_000).unref())]);
      assert.equal(died?.signal, 'SIGKILL', `the process killed itself at ${scenario.kill.at}: ${JSON.stringify(died)}`);
    } else {
      await sending;
    }
    await killHard(first);
    const killedAfterMs = Date.now() - started;
    const callbacksAtKill = tracker.update().total;
    const { accepted, refused } = await sending;
    const keys = accepted.flatMap((m) => m.to.map((to) => recipientKey(m.id, to)));
    const coveredAtKill = tracker.covered(keys);
    // Requests cut off by the kill fail at the network level; a live server answered all others 202.
    assert.deepEqual(refused.filter((r) => r.startsWith('HTTP ')), [], 'no request was refused with an HTTP error');
    assert.ok(accepted.length > 0, 'some messages were accepted before the kill');
    if (scenario.kill.when !== 'after-202') {
      // Otherwise the kill interrupted nothing and the scenario proves nothing.
      assert.ok(coveredAtKill < keys.length, `delivery was still under way at the kill (${coveredAtKill}/${keys.length} ended)`);
    }
    if (batchesAtKill) {
      // The writes were being committed in batches of more than one, and submits were still being recorded.
      assert.ok(batchesAtKill.writes > batchesAtKill.batches, `group commits held several writes each: ${JSON.stringify(batchesAtKill)}`);
      assert.ok(batchesAtKill.submitted < plannedRecipients, `submits were still being recorded at the kill (${batchesAtKill.submitted}/${plannedRecipients})`);
    }
    if (batchesAtKill?.rolledBack !== undefined) {
      // The server rolls back the dead process's open transactions once it notices the closed
      // socket (and counts them when their backend exits): at least one was open a moment before.
      const before = batchesAtKill.rolledBack;
      let after = before;
      await pollUntil(async () => (after = (await openWriteTransactions(workspace.databaseUrl)).rolledBack) > before, 5_000, 'the killed batch rolled back').catch(
        () => undefined,
      );
      batchesAtKill.rolledBack = after - before;
      assert.ok(batchesAtKill.rolledBack >= 1, `the kill cut a transaction short: ${JSON.stringify(batchesAtKill)}`);
    }
    if (scenario.kill.when === 'after-202') {
      assert.equal(refused.length, 0, 'every request was answered before the kill');
      assert.equal(tracker.total, 0, 'an api-only process sends no callbacks');
      assert.equal((await outstandingWork(workspace.databaseUrl)).queued, keys.length, 'every accepted recipient is queued on disk');
    }

    // ---- Second life: same database, same config; everything accepted must end. ----
    const second = await startChild(workspace);
    children.push(second);
    const restarted = Date.now();
    // On PostgreSQL, receipts the dead process's simulator had taken stay leased to it for a while.
    const drainTimeoutMs = 60_000 + (backend === 'postgres' ? RECEIPT_LEASE_MS : 0);
    await receiver.waitFor(() => tracker.covered(keys) === keys.length, drainTimeoutMs, 'a terminal callback for every accepted recipient');
    const drainMs = Date.now() - restarted;
    // Callbacks the dead process sent without recording it are resent once their lease ends, and
    // messages stored but never answered are delivered too: wait for the queue and the outbox to
    // empty so that every callback, duplicates included, has arrived before counting.
    await pollUntil(
      async () => {
        const owed = await outstandingWork(workspace.databaseUrl);
        return owed.queued === 0 && owed.pendingCallbacks === 0 && owed.receiptsOwed === 0;
      },
      20_000 + (backend === 'postgres' ? RECEIPT_LEASE_MS : 0),
      'an empty delivery queue, callback outbox and simulator receipt store',
    );
    const status = await childStatus(second);
    assert.equal(await stopGracefully(second), 0, 'the second process stops cleanly');
    tracker.update();

    // ---- The database, read once no process has it open. ----
    const audit = await auditDatabase(workspace.databaseUrl);
    const stored = new Map(audit.recipients.map((row) => [recipientKey(row.message_id, row.destination_tn), row]));
    for (const key of keys) assert.ok(stored.has(key), `accepted recipient ${key} is in the database`);
    // Stored but never answered (cut off by the kill): not promised to the client, but ended all the same.
    const unanswered = stored.size - keys.length;
    let duplicates = 0;
    const outcomes = { delivered: 0, failed: 0 };
    for (const [key, row] of stored) {
      const expected = expectedOutcome(row.destination_tn);
      // (2) terminal status, exactly one terminal event, exactly one terminal callback in the outbox.
      assert.equal(row.status, expected.type === 'message-delivered' ? 'DELIVERED' : 'FAILED', `${key} status`);
      assert.equal(row.error_code, expected.errorCode ?? 0, `${key} error code`);
      assert.equal(audit.terminalEvents.get(key), 1, `${key} has exactly one terminal event`);
      const outboxBodies = audit.terminalOutbox.get(key) ?? [];
      assert.equal(outboxBodies.length, 1, `${key} has exactly one terminal callback in the outbox`);

      // (1) at least one terminal callback, of the kind the destination dictates.
      const events = tracker.byRecipient.get(key) ?? [];
      assert.ok(events.length >= 1, `${key} has a terminal callback`);
      // (4) never both delivered and failed.
      const types = new Set(events.map((e) => e.type));
      assert.equal(types.size, 1, `${key} got one kind of terminal callback, not ${[...types].join(' and ')}`);
      const [firstEvent] = events;
      assert.ok(firstEvent);
      assert.equal(firstEvent.type, expected.type, `${key} ends as its destination dictates`);
      if (expected.errorCode !== undefined) assert.equal(firstEvent.errorCode, expected.errorCode, `${key} fails with ${expected.errorCode}`);
      outcomes[firstEvent.type === 'message-delivered' ? 'delivered' : 'failed']++;

      // (3) duplicates are resends of the one outbox row: identical bodies, same type, time and id.
      for (const event of events) assert.equal(JSON.stringify(event), outboxBodies[0], `${key}: every terminal callback is the outbox row`);
      duplicates += events.length - 1;
    }
    const stray = [...tracker.byRecipient.keys()].filter((key) => !stored.has(key));
    assert.deepEqual(stray, [], 'no terminal callback for a recipient that is not stored');
    assert.equal(audit.terminalEvents.size, stored.size, 'terminal events exist only for stored recipients');
    assert.equal(audit.queueRows, 0, 'the delivery queue is empty');
    assert.deepEqual(Object.keys(audit.outboxStates), ['delivered'], `every callback was delivered: ${JSON.stringify(audit.outboxStates)}`);

    const twiceSent = [...audit.sentEvents.values()].filter((n) => n > 1).length;
    const recipientsOf = new Map<string, number>();
    for (const row of audit.recipients) recipientsOf.set(row.message_id, (recipientsOf.get(row.message_id) ?? 0) + 1);
    const groupKeys = [...stored.values()].filter((r) => (recipientsOf.get(r.message_id) ?? 0) > 1).map((r) => recipientKey(r.message_id, r.destination_tn));
    const withoutSending = groupKeys.filter((key) => !tracker.sending.has(key)).length;
    const unsettledOfEnded = audit.unsettledRefs.filter((r) => r.status === 'DELIVERED' || r.status === 'FAILED').length;
    const d = (line: string) => t.diagnostic(`${backend} ${scenario.label}: ${line}`);
    d(
      `accepted ${accepted.length}/${scenario.messages} messages (${keys.length} recipients), ${refused.length} cut off by the kill ` +
        `(${unanswered} of their recipients stored anyway); outcomes ${outcomes.delivered} delivered, ${outcomes.failed} failed`,
    );
    d(`killed ${killedAfterMs} ms after the first send, ${coveredAtKill}/${keys.length} accepted recipients ended, ${callbacksAtKill} callbacks received`);
    d(`after the restart the remaining ${keys.length - coveredAtKill} ended within ${drainMs} ms`);
    d(`callbacks received ${tracker.total} (${tracker.nonTerminal} non-terminal); duplicate terminal callbacks ${duplicates}`);
    d(`group MMS recipients ${groupKeys.length}, of which without a message-sending callback ${withoutSending}`);
    d(
      `recipients with two recorded submits ${twiceSent}; carrier refs ${audit.carrierRefs}, unsettled refs of ended recipients ${unsettledOfEnded}; ` +
        `simulator receipts still owed ${audit.pendingSimulatorReceipts}`,
    );
    if (batchesAtKill) d(`group commits of the first process before the kill (rolledBack: transactions the kill aborted) ${JSON.stringify(batchesAtKill)}`);
    d(`second process counters ${JSON.stringify(status)}`);
    d(`error logs: first process ${JSON.stringify(errorLines(first.output()))}; second ${JSON.stringify(errorLines(second.output()))}`);
  } finally {
    for (const child of children) {
      if (child.child.exitCode === null && child.child.signalCode === null) await killHard(child).catch(() => undefined);
    }
    await receiver.stop();
    await workspace.remove();
  }
}

for (const backend of BACKENDS) {
  describe(`crash recovery: every accepted message ends after SIGKILL and restart (${backend})`, () => {
    it('kill mid-delivery: each recipient ends exactly once, its terminal callback arrives at least once', async (t) => {
      await runScenario(t, backend, { label: 'mid-delivery', messages: 600, kill: { when: 'mid-delivery', share: 0.25 } });
    });

    it('kill while batches of writes are being committed: each recipient ends exactly once, nothing stays queued', async (t) => {
      await runScenario(t, backend, { label: 'mid-batch', messages: 800, kill: { when: 'mid-batch', share: 0.4 } });
    });

    it('kill right after the 202s, before any delivery: the next process delivers everything', async (t) => {
      await runScenario(t, backend, { label: 'after-202', messages: 150, kill: { when: 'after-202' } });
    });
  });

  // Every kind of batch a message's way is made of, cut at both edges of its COMMIT: the accepts
  // (message and queued recipient), the claim's leases, the submit recorded with SENT and, for a
  // receipt due at once, the outcome and its callback in the same write, a receipt that came later
  // (the slow destinations), and the callback's delivered attempt.
  describe(`crash recovery at every batch edge (${backend})`, () => {
    // The warm-up message is the first accept batch; PostgreSQL batches a burst's accepts by the
    // dozen, so the accept edge gets a longer burst to reach its third batch.
    const edges: Array<[string, number]> = [
      ['accept:after:3', 600],
      ['claim:after:2', 120],
      ['submit:before:3', 120],
      ['submit:after:3', 120],
      ['terminal:before:2', 120],
      ['terminal:after:2', 120],
      ['callback:before:3', 120],
      ['callback:after:3', 120],
    ];
    for (const [at, messages] of edges) {
      it(`killed at ${at}: each recipient ends exactly once, its terminal callback arrives at least once`, async (t) => {
        await runScenario(t, backend, { label: `failpoint ${at}`, messages, kill: { when: 'failpoint', at } });
      });
    }
  });
}
