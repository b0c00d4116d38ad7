// The upgrade to migrations 0021 (a recipient's timeline in its own row) and 0022 (the delivery
// queue as the recipient row's state), on a database written by the release before them (schema
// 0020, test/fixtures/upgrade/README.md) and left with settled, sent, queued, retried, in-flight and
// parked work. What the old tables hold is read before Pigeon touches the database; then the new
// `pigeon serve` migrates it, first as `--role api` (no workers: the migrated layout is seen before
// anything moves), then as `--role all`, and the work left behind must carry on, none lost or doubled.
import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT, ADMIN_TOKEN, API_AUTH, APP, DEAD_APP, fixtureConfigYaml, OWED_DELAY_MS, PORTS, TO } from '../fixtures/upgrade/fixture-config.js';
import { loadInto } from '../fixtures/upgrade/fixture-db.js';
import { FIXTURE_FILES, MANIFEST_FILE, type EngineManifest } from '../fixtures/upgrade/make-fixtures.js';
import { CallbackReceiver } from '../helpers/callback-receiver.js';
import { spawnPigeon } from '../helpers/cli.js';
import { BACKENDS, connectSql, createTestDatabase, type Backend, type SqlConnection, type TestDatabase } from '../helpers/databases.js';

const MANIFEST = JSON.parse(readFileSync(MANIFEST_FILE, 'utf8')) as { engines: Record<Backend, EngineManifest> };

type Int = number | string;
const num = (v: Int | null): number | null => (v === null ? null : Number(v));

interface Event {
  status: string;
  time: number;
  errorCode: number | null;
  detail: string | null;
}
interface QueueRow {
  seq: number;
  message_id: string;
  destination_tn: string;
  priority: number;
  enqueued_at: number;
  run_at: number;
  attempts: number;
  last_error: string | null;
  locked_by: string | null;
  locked_until: number | null;
}
interface Attempt {
  attempt: number;
  time: number;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}
interface OldLayout {
  /** message id → destination → its events in id order. */
  events: Map<string, Map<string, Event[]>>;
  /** In the old claim order (priority, enqueued_at, seq). */
  queue: QueueRow[];
  /** outbox id → its attempts; with each outbox row's message and state. */
  outbox: Array<{ id: number; messageId: string; eventType: string; state: string; attempts: Attempt[] }>;
  parked: Array<Record<string, unknown>>;
  refs: Array<{ carrier: string; carrier_message_id: string; message_id: string; destination_tn: string; settled: number }>;
  simulatorReceipts: Array<{ carrier_message_id: string; due_at: number; receipt: string }>;
}

interface ViewEvent {
  destinationTn: string;
  status: string;
  time: number;
  errorCode?: number;
  detail?: string;
}
interface MessageView {
  message: { id: string; to: string[]; time: number };
  recipients: Array<{ destinationTn: string; messageStatus: string; errorCode: number }>;
  events: ViewEvent[];
  queue: Array<{ destinationTn: string; attempts: number; inFlight: boolean; runAt: number; lastError?: string }>;
  callbacks: Array<{ id: number; eventType: string; state: string; attempts: Array<{ attempt: number; time: number; statusCode?: number; latencyMs: number; error?: string }> }>;
}

const TERMINAL = new Set(['DELIVERED', 'FAILED']);

async function readOldLayout(sql: SqlConnection): Promise<OldLayout> {
  const events = new Map<string, Map<string, Event[]>>();
  const eventRows = await sql.all<{ message_id: string; destination_tn: string; status: string; time: Int; error_code: Int | null; detail: string | null }>(
    'SELECT message_id, destination_tn, status, time, error_code, detail FROM message_events ORDER BY id',
  );
  for (const e of eventRows) {
    const byTn = events.get(e.message_id) ?? new Map<string, Event[]>();
    const list = byTn.get(e.destination_tn) ?? [];
    list.push({ status: e.status, time: Number(e.time), errorCode: num(e.error_code), detail: e.detail });
    byTn.set(e.destination_tn, list);
    events.set(e.message_id, byTn);
  }
  const queue = (
    await sql.all<Record<keyof QueueRow, Int | null>>(
      `SELECT seq, message_id, destination_tn, priority, enqueued_at, run_at, attempts, last_error, locked_by, locked_until
        FROM delivery_queue ORDER BY priority, enqueued_at, seq`,
    )
  ).map(queueRowOf);
  const attempts = await sql.all<{ outbox_id: Int; attempt: Int; time: Int; status_code: Int | null; latency_ms: Int; error: string | null }>(
    'SELECT * FROM callback_attempts ORDER BY outbox_id, attempt',
  );
  const outbox = (await sql.all<{ id: Int; message_id: string; event_type: string; state: string }>('SELECT id, message_id, event_type, state FROM callback_outbox ORDER BY id')).map(
    (o) => ({
      id: Number(o.id),
      messageId: o.message_id,
      eventType: o.event_type,
      state: o.state,
      attempts: attempts
        .filter((a) => Number(a.outbox_id) === Number(o.id))
        .map((a) => ({ attempt: Number(a.attempt), time: Number(a.time), statusCode: num(a.status_code), latencyMs: Number(a.latency_ms), error: a.error })),
    }),
  );
  return {
    events,
    queue,
    outbox,
    parked: await parkedRows(sql),
    refs: await refRows(sql),
    simulatorReceipts: (await sql.all<{ carrier_message_id: string; due_at: Int; receipt: string }>('SELECT carrier_message_id, due_at, receipt FROM simulator_receipts')).map(
      (r) => ({ ...r, due_at: Number(r.due_at) }),
    ),
  };
}

function queueRowOf(r: Record<keyof QueueRow, Int | null>): QueueRow {
  return {
    seq: Number(r.seq),
    message_id: String(r.message_id),
    destination_tn: String(r.destination_tn),
    priority: Number(r.priority),
    enqueued_at: Number(r.enqueued_at),
    run_at: Number(r.run_at),
    attempts: Number(r.attempts),
    last_error: r.last_error === null ? null : String(r.last_error),
    locked_by: r.locked_by === null ? null : String(r.locked_by),
    locked_until: num(r.locked_until),
  };
}

async function parkedRows(sql: SqlConnection): Promise<Array<Record<string, unknown>>> {
  const rows = await sql.all<Record<string, unknown>>('SELECT carrier, carrier_message_id, receipt_key, receipt, parked_at, destination_tn FROM parked_receipts ORDER BY carrier_message_id');
  return rows.map((r) => ({ ...r, parked_at: Number(r.parked_at) }));
}

async function refRows(sql: SqlConnection): Promise<OldLayout['refs']> {
  const rows = await sql.all<{ carrier: string; carrier_message_id: string; message_id: string; destination_tn: string; settled: Int }>(
    'SELECT carrier, carrier_message_id, message_id, destination_tn, settled FROM carrier_refs ORDER BY carrier, carrier_message_id',
  );
  return rows.map((r) => ({ ...r, settled: Number(r.settled) }));
}

async function queueView(sql: SqlConnection): Promise<QueueRow[]> {
  return (
    await sql.all<Record<keyof QueueRow, Int | null>>(
      `SELECT seq, message_id, destination_tn, priority, enqueued_at, run_at, attempts, last_error, locked_by, locked_until
        FROM delivery_queue ORDER BY priority, enqueued_at, seq`,
    )
  ).map(queueRowOf);
}

/** The stored part of a recipient's timeline: the view's events after the acceptance events it adds (message-view.ts). */
function storedEvents(view: MessageView, destinationTn: string): Event[] {
  return view.events
    .slice(2 * view.message.to.length)
    .filter((e) => e.destinationTn === destinationTn)
    .map((e) => ({ status: e.status, time: e.time, errorCode: e.errorCode ?? null, detail: e.detail ?? null }));
}

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Serve {
  child: ChildProcessWithoutNullStreams;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function serve(role: 'api' | 'all', configPath: string, databaseUrl: string): Promise<Serve> {
  // The fixture's config, on a free port: nothing in the rows depends on Pigeon's own port but media
  // links, which this test does not follow.
  const { child, output, match } = await spawnPigeon(
    ['serve', '--role', role],
    { PIGEON_CONFIG: configPath, DATABASE_URL: databaseUrl, PORT: '0', PIGEON_LOG_LEVEL: 'info' },
    /"url":"(http:\/\/127\.0\.0\.1:\d+)"/,
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, url: match[1] as string, output, exited };
}

async function stop(pigeon: Serve | undefined): Promise<number | null> {
  if (!pigeon) return null;
  if (pigeon.child.exitCode === null && pigeon.child.signalCode === null) pigeon.child.kill('SIGTERM');
  return (await pigeon.exited).code;
}

for (const backend of BACKENDS) {
  describe(`upgrade of a release-0020 database with work left in it (${backend})`, { timeout: 120_000 }, () => {
    const ids = MANIFEST.engines[backend].messages;
    const parkedId = MANIFEST.engines[backend].parked;
    const one = (category: string): string => (ids[category] ?? [])[0] as string;
    const dir = mkdtempSync(join(tmpdir(), `pigeon-upgrade-${backend}-`));
    const configPath = join(dir, 'pigeon.yaml');
    const receiver = new CallbackReceiver({ port: PORTS.callbacks });
    let database: TestDatabase;
    let sql: SqlConnection;
    let old: OldLayout;
    /** What the `--role api` process showed right after migrating: views of every message, the queue view. */
    const migrated = { views: new Map<string, MessageView>(), queue: [] as QueueRow[], refs: [] as OldLayout['refs'], parked: [] as Array<Record<string, unknown>> };
    let pigeon: Serve | undefined;
    let apiExit: number | null = null;

    const view = async (id: string): Promise<MessageView> => {
      const res = await fetch(`${pigeon?.url}/admin/v1/messages/${id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(res.status, 200, `admin view of ${id}`);
      return (await res.json()) as MessageView;
    };
    const oldEvents = (id: string, tn: string): Event[] => old.events.get(id)?.get(tn) ?? [];
    const allIds = () => [...new Set(Object.values(ids).flat())];

    before(async () => {
      database = await createTestDatabase(backend, dir);
      loadInto({ engine: backend, url: database.url, drop: () => database.drop() }, FIXTURE_FILES[backend]);
      const writer = await connectSql(database.url, { write: true });
      try {
        old = await readOldLayout(writer);
        // The owed receipt is due an hour after its submit, in the absolute time of the day the
        // fixture was written: the hour is made to have passed, so that the test does not depend on
        // the fixture's age (its other rows do not: see the config's timeouts).
        await writer.run('UPDATE simulator_receipts SET due_at = due_at - ?', [OWED_DELAY_MS]);
      } finally {
        await writer.close();
      }
      writeFileSync(configPath, fixtureConfigYaml());
      await receiver.start();

      pigeon = await serve('api', configPath, database.url);
      sql = await connectSql(database.url);
      for (const id of allIds()) migrated.views.set(id, await view(id));
      migrated.queue = await queueView(sql);
      migrated.refs = await refRows(sql);
      migrated.parked = await parkedRows(sql);
      apiExit = await stop(pigeon);
      pigeon = await serve('all', configPath, database.url);
    });

    after(async () => {
      const code = await stop(pigeon);
      await sql?.close();
      await receiver.stop();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
      assert.equal(code, 0, `pigeon did not stop cleanly:\n${pigeon?.output() ?? ''}`);
    });

    it('read the old layout the fixture was written with', () => {
      assert.equal([...old.events.values()].reduce((n, byTn) => n + [...byTn.values()].reduce((m, l) => m + l.length, 0), 0), 40);
      assert.equal(old.queue.length, 5);
      assert.equal(old.outbox.length, 15);
      assert.equal(old.parked.length, 1);
      assert.equal(old.simulatorReceipts.length, 1);
      assert.equal(apiExit, 0, 'the --role api process stopped cleanly');
    });

    it('applies 0021 and 0022: message_events is gone and delivery_queue is a view', async () => {
      const versions = (await sql.all<{ version: Int }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version));
      assert.ok(versions.includes(21) && versions.includes(22), `schema_migrations: ${versions.join(', ')}`);
      const kinds =
        backend === 'sqlite'
          ? await sql.all<{ name: string; kind: string }>("SELECT name, type AS kind FROM sqlite_master WHERE name IN ('message_events', 'delivery_queue')")
          : await sql.all<{ name: string; kind: string }>(
              "SELECT table_name AS name, table_type AS kind FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('message_events', 'delivery_queue')",
            );
      assert.deepEqual(
        kinds.map((k) => [k.name, k.kind.toLowerCase()]),
        [['delivery_queue', 'view']],
      );
    });

    it('keeps every recipient timeline, in order, as the admin view shows it right after the migration', () => {
      let recipients = 0;
      for (const id of allIds()) {
        const v = migrated.views.get(id) as MessageView;
        for (const tn of v.message.to) {
          recipients++;
          assert.deepEqual(storedEvents(v, tn), oldEvents(id, tn), `timeline of ${id} → ${tn}`);
        }
      }
      assert.equal(recipients, 18);
    });

    it('moves every queue row to its recipient row: place, priority, attempts, error, lease', async () => {
      assert.deepEqual(migrated.queue, old.queue);
      // The claim order columns stay in the recipient's row once it leaves the queue.
      const neverClaimed = old.queue.filter((q) => q.attempts === 0 && q.locked_by === null);
      assert.equal(neverClaimed.length, 3);
      for (const q of neverClaimed) {
        const [row] = await sql.all<{ priority: Int; queue_seq: Int; receive_time: Int }>(
          'SELECT priority, queue_seq, receive_time FROM message_recipients WHERE message_id = ? AND destination_tn = ?',
          [q.message_id, q.destination_tn],
        );
        assert.deepEqual([Number(row?.priority), Number(row?.queue_seq), Number(row?.receive_time)], [q.priority, q.seq, q.enqueued_at]);
      }
      // The admin view's queue is read from the recipient rows too.
      for (const q of old.queue) {
        const entry = migrated.views.get(q.message_id)?.queue.find((e) => e.destinationTn === q.destination_tn);
        assert.ok(entry, `queue entry of ${q.message_id} → ${q.destination_tn}`);
        assert.equal(entry.runAt, q.run_at);
        assert.equal(entry.lastError ?? null, q.last_error);
      }
      assert.deepEqual(migrated.refs, old.refs);
      assert.deepEqual(migrated.parked, old.parked);
    });

    it('delivers the never-claimed messages, one message-delivered callback per recipient', async () => {
      const neverClaimed = old.queue.filter((q) => q.attempts === 0 && q.locked_by === null);
      const delivered = (q: QueueRow) =>
        receiver.events((e) => e.type === 'message-delivered' && e.message.id === q.message_id && e.to === q.destination_tn).length;
      await receiver.waitFor(() => neverClaimed.every((q) => delivered(q) >= 1), 20_000, 'the never-claimed recipients delivered');
      for (const id of ids.neverClaimed ?? []) {
        const v = await view(id);
        for (const tn of v.message.to) {
          assert.equal(v.recipients.find((r) => r.destinationTn === tn)?.messageStatus, 'DELIVERED');
          assert.deepEqual(
            storedEvents(v, tn).map((e) => e.status),
            ['SENDING', 'SENT', 'DELIVERED'],
          );
        }
        assert.deepEqual(v.queue, []);
      }
      const rows = await queueView(sql);
      for (const q of neverClaimed) assert.ok(!rows.some((r) => r.message_id === q.message_id && r.destination_tn === q.destination_tn));
      for (const q of neverClaimed) assert.equal(delivered(q), 1, `message-delivered callbacks of ${q.message_id} → ${q.destination_tn}`);
    });

    // The upstream being down is the carrier's own congestion (bandwidth-carrier.ts guard): the
    // recipient is deferred (QUEUED again about a second later) and the claim's attempt is given back,
    // as the release did; so its attempts stay what they were, and it comes round again and again.
    it('takes over the in-flight recipient once its old lease is past and defers it (upstream down), keeping it queued once', async () => {
      const id = one('inFlight');
      const before = old.queue.find((q) => q.message_id === id) as QueueRow;
      const oldTimeline = oldEvents(id, TO.upstream);
      assert.ok(before.locked_by !== null && (before.locked_until as number) < Date.now(), 'the fixture left it leased, its lease past');
      const { row, v } = await until('the in-flight recipient taken over and back in the queue', async () => {
        const rows = (await queueView(sql)).filter((r) => r.message_id === id);
        if (rows.length !== 1 || rows[0]?.locked_by !== null) return undefined;
        const v = await view(id);
        const taken = storedEvents(v, TO.upstream).length > oldTimeline.length && v.recipients[0]?.messageStatus === 'QUEUED';
        return taken ? { row: rows[0] as QueueRow, v } : undefined;
      });
      assert.equal(row.priority, before.priority);
      assert.equal(row.seq, before.seq);
      assert.equal(row.attempts, before.attempts, 'a deferral spends no attempt');
      assert.match(row.last_error ?? '', /^upstream unavailable/);
      assert.ok(row.run_at > before.run_at);
      const events = storedEvents(v, TO.upstream);
      assert.deepEqual(events.slice(0, oldTimeline.length), oldTimeline);
      const added = events.slice(oldTimeline.length);
      // Its SENDING was reported before the upgrade: not again.
      assert.ok(
        added.every((e) => e.status === 'QUEUED' && /no attempt spent: upstream unavailable/.test(e.detail ?? '')),
        `events after the takeover: ${JSON.stringify(added)}`,
      );
      assert.deepEqual(v.queue.map((q) => [q.destinationTn, q.attempts]), [[TO.upstream, before.attempts]]);
      assert.deepEqual(await sql.all('SELECT carrier_message_id FROM carrier_refs WHERE message_id = ?', [id]), []);
    });

    // Its next attempt is due an hour after the fixture was written: once the fixture is that old it
    // is tried (and refused) again at start, spending an attempt with the same error.
    it('keeps the retried-transient recipient queued with its attempts and error', async () => {
      const id = one('retryQueued');
      const before = old.queue.find((q) => q.message_id === id) as QueueRow;
      const rows = (await queueView(sql)).filter((r) => r.message_id === id);
      assert.equal(rows.length, 1, 'queued once');
      const now = rows[0] as QueueRow;
      assert.ok(now.attempts >= before.attempts, `attempts ${now.attempts} < ${before.attempts}`);
      assert.equal(now.last_error, before.last_error);
      assert.ok(now.run_at >= before.run_at);
      assert.equal(now.priority, before.priority);
      assert.equal(now.seq, before.seq);
      const v = await view(id);
      assert.equal(v.recipients[0]?.messageStatus, 'QUEUED');
      const events = storedEvents(v, TO.transient);
      const oldTimeline = oldEvents(id, TO.transient);
      assert.deepEqual(events.slice(0, oldTimeline.length), oldTimeline);
      assert.ok(events.slice(oldTimeline.length).every((e) => e.status === 'QUEUED'), JSON.stringify(events));
    });

    it('delivers the owed simulator receipt and keeps the no-receipt recipient SENT, its ref unsettled', async () => {
      const owed = one('awaitingReceiptOwed');
      await receiver.waitFor(() => receiver.events((e) => e.type === 'message-delivered' && e.message.id === owed).length >= 1, 20_000, 'the owed receipt');
      const v = await view(owed);
      assert.equal(v.recipients[0]?.messageStatus, 'DELIVERED');
      const events = storedEvents(v, TO.owed);
      assert.deepEqual(events.slice(0, -1), oldEvents(owed, TO.owed));
      assert.equal(events.at(-1)?.status, 'DELIVERED');
      await until('the owed receipt row deleted', async () => (await sql.count('SELECT count(*) FROM simulator_receipts')) === 0);

      const noReceipt = one('awaitingReceiptNoReceipt');
      const w = await view(noReceipt);
      assert.equal(w.recipients[0]?.messageStatus, 'SENT');
      assert.deepEqual(storedEvents(w, TO.noReceipt), oldEvents(noReceipt, TO.noReceipt));
      assert.deepEqual(
        (await refRows(sql)).filter((r) => r.message_id === noReceipt),
        old.refs.filter((r) => r.message_id === noReceipt),
      );
      assert.equal(old.refs.find((r) => r.message_id === noReceipt)?.settled, 0);
    });

    it('keeps the parked receipt parked (its submit was never recorded)', async () => {
      const parked = await parkedRows(sql);
      assert.deepEqual(parked, old.parked);
      assert.equal(parked[0]?.carrier, parkedId.carrier);
      assert.equal(parked[0]?.carrier_message_id, parkedId.carrierMessageId);
    });

    it('keeps the attempts of pending and delivered callbacks, and leaves pending ones pending', async () => {
      for (const id of [...(ids.delivered ?? []), ...(ids.failed ?? []), ...(ids.pendingCallbacks ?? [])]) {
        const v = await view(id);
        const mine = old.outbox.filter((o) => o.messageId === id);
        assert.ok(mine.length > 0);
        for (const o of mine) {
          const c = v.callbacks.find((x) => x.id === o.id);
          assert.ok(c, `callback ${o.id} of ${id}`);
          assert.equal(c.state, o.state);
          assert.equal(c.eventType, o.eventType);
          const attempts = c.attempts.map((a) => ({ attempt: a.attempt, time: a.time, statusCode: a.statusCode ?? null, latencyMs: a.latencyMs, error: a.error ?? null }));
          assert.deepEqual(attempts.slice(0, o.attempts.length), o.attempts, `attempts of callback ${o.id}`);
          // A pending callback's next try is due an hour after the fixture was written: once the
          // fixture is that old it is tried again, and fails again (nothing listens there).
          const added = attempts.slice(o.attempts.length);
          if (o.state === 'delivered') assert.deepEqual(added, []);
          else assert.ok(added.every((a) => a.statusCode === null && a.error !== null), JSON.stringify(added));
        }
        // Nothing new for a message that had already ended before the upgrade.
        assert.equal(v.callbacks.length, mine.length, `callbacks of ${id}`);
        assert.equal(receiver.eventsFor(id).length, 0, `callbacks of ${id} sent again`);
      }
      const pending = old.outbox.filter((o) => o.state === 'pending');
      assert.equal(pending.length, 2);
      assert.ok(pending.every((o) => o.attempts.length === 1 && o.attempts[0]?.error?.includes(String(PORTS.deadCallbacks))));
      assert.ok(pending.every((o) => (ids.pendingCallbacks ?? []).includes(o.messageId)));
    });

    it('takes a new message end to end after the upgrade', async () => {
      const res = await fetch(`${pigeon?.url}/api/v2/users/${ACCOUNT.id}/messages`, {
        method: 'POST',
        headers: { authorization: API_AUTH, 'content-type': 'application/json' },
        body: JSON.stringify({ applicationId: APP.id, from: APP.number, to: [TO.deliver[3]], text: 'after the upgrade' }),
      });
      assert.equal(res.status, 202);
      const { id } = (await res.json()) as { id: string };
      await receiver.waitFor(() => receiver.events((e) => e.type === 'message-delivered' && e.message.id === id).length >= 1, 20_000, 'the new message delivered');
      const v = await view(id);
      assert.equal(v.recipients[0]?.messageStatus, 'DELIVERED');
      assert.deepEqual(
        storedEvents(v, TO.deliver[3] as string).map((e) => e.status),
        ['SENDING', 'SENT', 'DELIVERED'],
      );
      assert.equal(receiver.events((e) => e.type === 'message-delivered' && e.message.id === id).length, 1);
      // Its place in the queue came after every migrated entry's.
      const [row] = await sql.all<{ queue_seq: Int }>('SELECT queue_seq FROM message_recipients WHERE message_id = ?', [id]);
      assert.ok(Number(row?.queue_seq) > Math.max(...old.queue.map((q) => q.seq)), `queue_seq ${String(row?.queue_seq)}`);
    });

    it('keeps every old timeline as the head of the current one, ends no recipient twice, sends no callback twice', async () => {
      for (const id of allIds()) {
        const v = await view(id);
        for (const tn of v.message.to) {
          // What it had before the upgrade stays the head of its timeline, whatever came after.
          assert.deepEqual(storedEvents(v, tn).slice(0, oldEvents(id, tn).length), oldEvents(id, tn), `timeline of ${id} → ${tn}`);
          const ends = storedEvents(v, tn).filter((e) => TERMINAL.has(e.status));
          assert.ok(ends.length <= 1, `${id} → ${tn} ended ${ends.length} times`);
        }
      }
      const seen = new Set<string>();
      for (const e of receiver.events()) {
        const key = `${e.type} ${e.message.id} ${e.to}`;
        assert.ok(!seen.has(key), `callback sent twice: ${key}`);
        seen.add(key);
      }
      assert.equal(receiver.events((e) => e.message.id !== undefined && (e.message as { applicationId?: string }).applicationId === DEAD_APP.id).length, 0);
    });
  });
}
