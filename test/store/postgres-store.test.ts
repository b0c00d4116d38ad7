// The PostgreSQL store against a real server: every Store method, and what only a shared database
// has to get right — concurrent migrations, SKIP LOCKED claims, rate limits and leases across
// processes (two PostgresStore instances stand in for two processes), LISTEN/NOTIFY.
//
// Needs PostgreSQL at PIGEON_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres,
// a role allowed to CREATE DATABASE); each run works in its own throw-away database. Skipped when
// the server cannot be reached, unless PIGEON_TEST_POSTGRES=require.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import pg from 'pg';
import type { Message, MessageRecord } from '../../src/core/messages/message.js';
import type { CallbackToSend, DeliveryJob, MessageQuery, RatePolicy, StatusChange } from '../../src/core/ports.js';
import { migratePostgres, postgresMigrations } from '../../src/store/postgres/migrate.js';
import { eventCountSql, recordOf } from '../helpers/store-rows.js';
import { parsePostgresUrl, PostgresStore } from '../../src/store/postgres/postgres-store.js';

const ADMIN_URL = process.env.PIGEON_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ACCOUNT = '9900000';
const OTHER_ACCOUNT = '9900001';
const APP = '93de2206-9669-4e07-948d-329f4b722ee2';
const FROM = '+19195551212';
const FROM_2 = '+19195551213';
const T0 = 1_700_000_000_000;

async function serverReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const reachable = process.env.PIGEON_TEST_POSTGRES === 'require' || (await serverReachable());

/** A fresh database; `drop` removes it even while connections to it remain (WITH (FORCE), PostgreSQL 13+). */
async function createDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `pigeon_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

// ---- Fixtures ---------------------------------------------------------------------------------

let seq = 0;

function outbound(
  options: {
    time?: number;
    from?: string;
    to?: string[];
    priority?: 'default' | 'high';
    accountId?: string;
    expiresAt?: number;
    segmentCount?: number;
  } = {},
): { message: Message; records: MessageRecord[] } {
  const time = options.time ?? T0;
  const to = options.to ?? [`+1919555${String(1000 + (seq % 9000)).padStart(4, '0')}`];
  const message: Message = {
    id: `msg-${String(++seq).padStart(6, '0')}-${randomBytes(3).toString('hex')}`,
    accountId: options.accountId ?? ACCOUNT,
    applicationId: APP,
    direction: 'out',
    owner: options.from ?? FROM,
    from: options.from ?? FROM,
    to,
    text: 'hello \u{1F426} "quoted"',
    media: undefined,
    tag: 'tag-1',
    priority: options.priority ?? 'default',
    expiration: options.expiresAt === undefined ? undefined : new Date(options.expiresAt).toISOString(),
    expiresAt: options.expiresAt,
    segmentCount: options.segmentCount ?? 1,
    type: 'sms',
    time,
  };
  return { message, records: to.map((tn) => recordOf(message, tn)) };
}

function callbackFor(message: Message, eventType: string): CallbackToSend {
  return {
    messageId: message.id,
    accountId: message.accountId,
    applicationId: message.applicationId,
    eventType,
    url: 'http://127.0.0.1:9/callbacks',
    body: JSON.stringify([{ type: eventType, message: { id: message.id } }]),
  };
}

function change(job: DeliveryJob, status: StatusChange['status'], time: number, extra: Partial<StatusChange> = {}): StatusChange {
  return { messageId: job.message.id, destinationTn: job.destinationTn, status, time, ...extra };
}

const NO_LIMITS: RatePolicy = { unit: 'messages', senderLimit: () => undefined, accountLimit: () => undefined };
/** Callback claims without a per-endpoint limit in the way, and the report of an attempt's endpoint. */
const CALLBACK_CLAIM = { perEndpoint: 1000, turn: 0 };
const endpointReport = (attempt: { time: number; statusCode: number | undefined; error: string | undefined }) => ({
  endpoint: 'http://127.0.0.1:9/callbacks',
  outcome: { ok: attempt.statusCode === 200 || attempt.statusCode === 204, probe: false, time: attempt.time, error: attempt.error },
  policy: { failureThreshold: 100, probeInitialMs: 1000, probeMaxMs: 1000 },
});

function query(overrides: Partial<MessageQuery> = {}): MessageQuery {
  return { sort: { field: 'receiveTime', direction: 'asc' }, offset: 0, limit: 100, ...overrides };
}

function key(job: DeliveryJob): string {
  return `${job.message.id}/${job.destinationTn}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when `predicate` holds, polling; rejects after `timeoutMs`. */
async function eventually(predicate: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

// ---- Tests ------------------------------------------------------------------------------------

describe('parsePostgresUrl', () => {
  it('takes the pool size from ?pool= and passes every other parameter to pg', () => {
    assert.deepEqual(parsePostgresUrl('postgres://u:p%40ss@db.example:6543/pigeon?pool=25&sslmode=require'), {
      connectionString: 'postgres://u:p%40ss@db.example:6543/pigeon?sslmode=require',
      poolSize: 25,
    });
    assert.equal(parsePostgresUrl('postgresql://localhost/pigeon').poolSize, 10);
    assert.throws(() => parsePostgresUrl('postgres://localhost/pigeon?pool=0'), /pool must be a positive integer/);
    assert.throws(() => parsePostgresUrl('postgres://localhost/pigeon?pool=many'), /pool must be a positive integer/);
    assert.throws(() => parsePostgresUrl('mysql://localhost/pigeon'), /expected postgres/);
  });
});

describe('PostgresStore', { skip: reachable ? false : `no PostgreSQL at ${ADMIN_URL}` }, () => {
  let database: { url: string; drop: () => Promise<void> };
  let a: PostgresStore;
  let b: PostgresStore;
  let firstMigrations: number[][];
  const storeErrors: unknown[] = [];

  before(async () => {
    database = await createDatabase();
    // Two processes starting at once: both migrate; the advisory lock makes one wait for the other.
    const pools = [new pg.Pool({ connectionString: database.url }), new pg.Pool({ connectionString: database.url })];
    try {
      firstMigrations = await Promise.all(pools.map((pool) => migratePostgres(pool)));
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
    a = await PostgresStore.open(database.url, { onError: (err) => storeErrors.push(err) });
    b = await PostgresStore.open(database.url, { onError: (err) => storeErrors.push(err) });
  });

  after(async () => {
    await Promise.allSettled([a?.close(), b?.close()]);
    await database?.drop();
  });

  beforeEach(async () => {
    await a.pool.query(`TRUNCATE messages, message_recipients, media, carrier_refs,
      callback_outbox, callback_attempts, rate_buckets, settings, simulator_receipts RESTART IDENTITY`);
  });

  describe('migrations', () => {
    it('applies the schema once when two processes migrate concurrently', async () => {
      const known = postgresMigrations().map((m) => m.version);
      assert.ok(known.length >= 2);
      assert.deepEqual(
        [...firstMigrations].sort((x, y) => y.length - x.length),
        [known, []],
        'one run applies every file, the other finds nothing left',
      );
      const { rows } = await a.pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(
        rows.map((r) => r.version),
        known,
      );
      assert.deepEqual(await migratePostgres(a.pool), []);
    });

    it('refuses a database whose schema is newer than the files it knows', async () => {
      const other = await createDatabase();
      const pool = new pg.Pool({ connectionString: other.url });
      try {
        await migratePostgres(pool);
        await pool.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)");
        const known = postgresMigrations().at(-1)?.version;
        await assert.rejects(migratePostgres(pool), {
          message: `database schema version 999 is newer than this Pigeon knows (${known}); upgrade Pigeon`,
        });
        await assert.rejects(PostgresStore.open(other.url), /schema version 999 is newer/);
        // The refusal released the advisory lock: a later run is not blocked by it.
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks
            WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        );
        assert.equal(rows[0]?.n, 0);
      } finally {
        await pool.end();
        await other.drop();
      }
    });
  });

  describe('messages', () => {
    it('stores an accepted message with its records and queue entries, and lists them with filters and paging', async () => {
      const first = outbound({ time: T0 + 1, to: ['+19195550101', '+19195550102'] });
      const second = outbound({ time: T0 + 2, from: FROM_2, to: ['+19195550103'] });
      const third = outbound({ time: T0 + 3, to: ['+18005550104'], priority: 'high' });
      const foreign = outbound({ time: T0 + 4, accountId: OTHER_ACCOUNT, to: ['+19195550105'] });
      for (const m of [first, second, third, foreign]) await a.messages.acceptOutbound(m.message, m.records);

      assert.deepEqual(await b.delivery.getMessage(first.message.id), first.message);
      assert.equal(await b.delivery.getMessage('missing'), undefined);
      assert.equal(await b.delivery.queuedCount(ACCOUNT), 4);
      assert.equal(await b.delivery.queuedCount(OTHER_ACCOUNT), 1);

      const all = await b.messages.listMessages(ACCOUNT, query());
      assert.equal(all.totalCount, 4);
      assert.deepEqual(all.records, [...first.records, ...second.records, ...third.records]);

      const bySource = await b.messages.listMessages(ACCOUNT, query({ sourceTn: { exact: [FROM_2] } }));
      assert.deepEqual(bySource.records, second.records);
      const byPrefix = await b.messages.listMessages(ACCOUNT, query({ destinationTn: { prefix: '+1800' } }));
      assert.deepEqual(byPrefix.records, third.records);
      const byTime = await b.messages.listMessages(ACCOUNT, query({ fromTime: T0 + 2, toTime: T0 + 3 }));
      assert.equal(byTime.totalCount, 2);
      const queued = await b.messages.listMessages(ACCOUNT, query({ messageStatus: 'QUEUED', bwQueued: true }));
      assert.equal(queued.totalCount, 4);
      assert.equal((await b.messages.listMessages(ACCOUNT, query({ carrierQueued: true }))).totalCount, 0);

      const page1 = await b.messages.listMessages(ACCOUNT, query({ sort: { field: 'receiveTime', direction: 'desc' }, limit: 3 }));
      const page2 = await b.messages.listMessages(
        ACCOUNT,
        query({ sort: { field: 'receiveTime', direction: 'desc' }, limit: 3, offset: 3 }),
      );
      assert.equal(page1.totalCount, 4);
      assert.deepEqual(
        [...page1.records, ...page2.records].map((r) => r.destinationTn),
        ['+18005550104', '+19195550103', '+19195550102', '+19195550101'],
      );
    });

    it('sorts NULLs as SQLite does: first ascending, last descending', async () => {
      const withCarrier = outbound({ time: T0 + 1 });
      const withoutCarrier = outbound({ time: T0 + 2 });
      await a.messages.acceptOutbound(withCarrier.message, [
        recordOf(withCarrier.message, withCarrier.message.to[0] as string, { carrierName: 'simulator' }),
      ]);
      await a.messages.acceptOutbound(withoutCarrier.message, withoutCarrier.records);
      const asc = await a.messages.listMessages(ACCOUNT, query({ sort: { field: 'carrierName', direction: 'asc' } }));
      assert.deepEqual(
        asc.records.map((r) => r.carrierName),
        [null, 'simulator'],
      );
      const desc = await a.messages.listMessages(ACCOUNT, query({ sort: { field: 'carrierName', direction: 'desc' } }));
      assert.deepEqual(
        desc.records.map((r) => r.carrierName),
        ['simulator', null],
      );
    });

    it('stores inbound copies with their callbacks in one transaction', async () => {
      const copy = outbound({ time: T0 + 5 }).message;
      const inbound: Message = { ...copy, direction: 'in', owner: '+19195550199', to: ['+19195550199'] };
      const record = recordOf(inbound, '+19195550199');
      await a.delivery.acceptInbound([{ message: inbound, record, callback: callbackFor(inbound, 'message-received') }]);
      assert.deepEqual(await b.delivery.getMessage(inbound.id), inbound);
      const listed = await b.messages.listMessages(ACCOUNT, query({ messageDirection: 'INBOUND' }));
      assert.deepEqual(listed.records, [record]);
      const callbacks = await b.delivery.listCallbacks(inbound.id);
      assert.equal(callbacks.length, 1);
      assert.equal(callbacks[0]?.eventType, 'message-received');
      assert.equal(callbacks[0]?.state, 'pending');
      assert.equal(await b.delivery.queuedCount(ACCOUNT), 0, 'inbound messages are not queued for delivery');
      // A duplicate id fails the whole transaction: nothing of the second batch is kept.
      const fresh = { ...inbound, id: `${inbound.id}-2` };
      await assert.rejects(
        a.delivery.acceptInbound([
          { message: fresh, record: recordOf(fresh, '+19195550199'), callback: callbackFor(fresh, 'message-received') },
          { message: inbound, record },
        ]),
      );
      assert.equal(await b.delivery.getMessage(fresh.id), undefined);
      assert.deepEqual(await b.delivery.listCallbacks(fresh.id), []);
    });
  });

  describe('claiming', () => {
    const request = (store: PostgresStore, workerId: string, now: number, limit = 10) =>
      store.delivery.claimDeliveries({ workerId, now, limit, leaseMs: 1000, rates: NO_LIMITS });

    it('claims in priority, then arrival, order and leases what it claims', async () => {
      const late = outbound({ time: T0 + 2 });
      const early = outbound({ time: T0 + 1, to: ['+19195550101', '+19195550102'] });
      const urgent = outbound({ time: T0 + 3, priority: 'high' });
      for (const m of [late, early, urgent]) await a.messages.acceptOutbound(m.message, m.records);

      const first = await request(a, 'w1', T0 + 10);
      assert.deepEqual(
        first.jobs.map(key),
        [urgent, early, early, late].map((m, i) => `${m.message.id}/${i === 2 ? '+19195550102' : m.message.to[0]}`),
      );
      assert.deepEqual(
        first.jobs.map((j) => j.attempts),
        [0, 0, 0, 0],
      );
      assert.equal(first.nextDueAt, undefined);
      assert.deepEqual(first.jobs[0]?.message, urgent.message);

      assert.deepEqual((await request(b, 'w2', T0 + 10)).jobs, [], 'leased rows are not claimed again');
      assert.deepEqual((await request(b, 'w2', T0 + 1010)).jobs, [], 'the lease lasts until locked_until');

      // The lease ran out (w1 died): another worker takes the work over; attempts count the claims.
      const takeover = await request(b, 'w2', T0 + 1011);
      assert.equal(takeover.jobs.length, 4);
      assert.deepEqual(
        takeover.jobs.map((j) => j.attempts),
        [1, 1, 1, 1],
      );
      const job = takeover.jobs[0] as DeliveryJob;
      assert.equal((await a.delivery.recordSubmitted(job, 'w1', 'sim', ['dup-1'], T0 + 1012)).owned, false, 'w1 lost its lease');
      assert.equal((await b.delivery.recordSubmitted(job, 'w2', 'sim', ['sub-1'], T0 + 1013)).owned, true);
      assert.equal(await a.delivery.queuedCount(ACCOUNT), 3);
    });

    it('does not claim before run_at and retries only for the lease owner', async () => {
      const m = outbound({ time: T0 });
      await a.messages.acceptOutbound(m.message, m.records);
      const [job] = (await request(a, 'w1', T0)).jobs;
      assert.ok(job);
      assert.equal(await b.delivery.recordRetry(job, 'w2', T0 + 500, 'not mine', T0 + 1), false);
      assert.equal(await a.delivery.recordRetry(job, 'w1', T0 + 500, 'carrier busy', T0 + 1), true);
      assert.deepEqual((await request(b, 'w2', T0 + 499)).jobs, []);
      const again = await request(b, 'w2', T0 + 500);
      assert.equal(again.jobs.length, 1);
      assert.equal(again.jobs[0]?.attempts, 1);
      const events = await a.delivery.listEvents(m.message.id);
      assert.deepEqual(
        events.map((e) => [e.status, e.detail]),
        [['QUEUED', `retry at ${new Date(T0 + 500).toISOString()}: carrier busy`]],
      );
    });

    it('never hands one job to two concurrent claims (SKIP LOCKED), and loses none', async () => {
      const total = 500;
      const messages = Array.from({ length: total / 2 }, (_, i) =>
        outbound({ time: T0 + i, to: ['+19195550101', '+19195550102'] }),
      );
      for (let i = 0; i < messages.length; i += 25) {
        await Promise.all(messages.slice(i, i + 25).map((m) => a.messages.acceptOutbound(m.message, m.records)));
      }
      const claims = await Promise.all(
        Array.from({ length: 20 }, (_, i) => request(i % 2 === 0 ? a : b, `w${i}`, T0 + total, 25)),
      );
      const claimed = claims.flatMap((c) => c.jobs.map(key));
      assert.equal(new Set(claimed).size, claimed.length, 'no job in two claims');
      // Concurrent claims skip each other's rows, so some come back short; the rest is still there.
      for (;;) {
        const more = await request(a, 'sweeper', T0 + total, 100);
        if (more.jobs.length === 0) break;
        claimed.push(...more.jobs.map(key));
      }
      assert.equal(claimed.length, total);
      assert.equal(new Set(claimed).size, total);
    });

    it('keeps a rate limit across processes', async () => {
      // 5 per second with a burst of 5, from two stores (two processes) claiming at once, on a clock
      // of their own that moves 100 ms a step: the bucket's arithmetic is checked, not the machine's speed.
      const limit = { rate: 5, burst: 5 };
      const rates: RatePolicy = { unit: 'messages', senderLimit: () => limit, accountLimit: () => undefined };
      const start = T0 + 10_000;
      const jobs = Array.from({ length: 40 }, (_, i) => outbound({ time: start - 1000 + i }));
      for (const m of jobs) await a.messages.acceptOutbound(m.message, m.records);
      const claimed: string[] = [];
      const claim = async (store: PostgresStore, workerId: string, now: number) => {
        const result = await store.delivery.claimDeliveries({ workerId, now, limit: 4, leaseMs: 60_000, rates });
        claimed.push(...result.jobs.map((job) => job.message.id));
      };
      for (let step = 0; step <= 15; step++) {
        const now = start + step * 100;
        await Promise.all([claim(a, 'wa', now), claim(b, 'wb', now)]);
        const allowed = limit.burst + (limit.rate * step) / 10;
        assert.ok(claimed.length <= allowed, `${claimed.length} claimed by ${step * 100} ms, ${allowed} allowed`);
      }
      // Whatever a claim that met the other's lock left, the tokens are still there: the refill is
      // used, not only the burst, and counted once across the two processes.
      await claim(a, 'wa', start + 1500);
      assert.equal(claimed.length, limit.burst + Math.floor(limit.rate * 1.5));
      assert.equal(new Set(claimed).size, claimed.length);
    });

    it('claims expired messages without tokens and holds a sender back behind its first postponed job', async () => {
      const rates: RatePolicy = {
        unit: 'segments',
        senderLimit: () => ({ rate: 1, burst: 2 }),
        accountLimit: () => undefined,
      };
      const long = outbound({ time: T0, segmentCount: 2 });
      const next = outbound({ time: T0 + 1 });
      const expired = outbound({ time: T0 + 2, expiresAt: T0 + 5 });
      const other = outbound({ time: T0 + 3, from: FROM_2 });
      for (const m of [long, next, expired, other]) await a.messages.acceptOutbound(m.message, m.records);
      const claim = (store: PostgresStore, now: number) =>
        store.delivery.claimDeliveries({ workerId: 'w', now, limit: 10, leaseMs: 60_000, rates });

      const first = await claim(a, T0 + 10);
      // `long` takes both tokens of FROM; `next` must wait a second for one; the expired job goes
      // without tokens; FROM_2 has its own bucket.
      assert.deepEqual(
        first.jobs.map((j) => j.message.id),
        [long, expired, other].map((m) => m.message.id),
      );
      assert.equal(first.nextDueAt, T0 + 10 + 1000);
      assert.deepEqual((await claim(b, T0 + 1009)).jobs, []);
      const second = await claim(b, T0 + 1010);
      assert.deepEqual(
        second.jobs.map((j) => j.message.id),
        [next.message.id],
      );
      const { rows } = await a.pool.query<{ key: string; tokens: number }>('SELECT key, tokens FROM rate_buckets ORDER BY key');
      assert.deepEqual(rows, [
        { key: `sender:${ACCOUNT}:${FROM}`, tokens: 0 },
        { key: `sender:${ACCOUNT}:${FROM_2}`, tokens: 1 },
      ]);
    });
  });

  describe('dequeue order across claims in two processes under a rate limit', () => {
    // 5 per second, burst 5: a token every 200 ms once the burst is used. Claims alternate between
    // the two stores, so every held-back row was postponed by a different process than the one that
    // finally takes it.
    const rates: RatePolicy = { unit: 'messages', senderLimit: () => ({ rate: 5, burst: 5 }), accountLimit: () => undefined };
    let turn = 0;
    const claim = async (at: number): Promise<string[]> =>
      (
        await (turn++ % 2 === 0 ? a : b).delivery.claimDeliveries({ workerId: 'w', now: at, limit: 64, leaseMs: 60_000, rates })
      ).jobs.map((j) => j.message.id);
    const accept = async (at: number, options: { priority?: 'default' | 'high'; expiresAt?: number } = {}) => {
      const m = outbound({ time: at, ...options });
      await a.messages.acceptOutbound(m.message, m.records);
      return m.message.id;
    };

    it('keeps FIFO per sender when rows were held back by different claims', async () => {
      for (let i = 0; i < 5; i++) await accept(T0);
      assert.equal((await claim(T0)).length, 5);
      const older = await accept(T0 + 86);
      assert.deepEqual(await claim(T0 + 86), []);
      const newer = await accept(T0 + 100);
      assert.deepEqual(await claim(T0 + 100), []);
      // The next token is there at T0 + 200: it belongs to the older row.
      assert.deepEqual([...(await claim(T0 + 200)), ...(await claim(T0 + 201))], [older]);
      assert.deepEqual(await claim(T0 + 400), [newer]);
    });

    it('gives the next token to a high-priority row held back after default ones', async () => {
      for (let i = 0; i < 6; i++) await accept(T0);
      assert.equal((await claim(T0)).length, 5);
      const high = await accept(T0 + 86, { priority: 'high' });
      assert.deepEqual(await claim(T0 + 86), []);
      assert.deepEqual([...(await claim(T0 + 200)), ...(await claim(T0 + 201))], [high]);
    });

    it('looks at a held-back row again when it expires, not when its turn would have come', async () => {
      for (let i = 0; i < 5; i++) await accept(T0);
      assert.equal((await claim(T0)).length, 5);
      const expiring = await accept(T0 + 10, { expiresAt: T0 + 100 });
      const result = await b.delivery.claimDeliveries({ workerId: 'w', now: T0 + 10, limit: 10, leaseMs: 60_000, rates });
      assert.deepEqual(result, { jobs: [], nextDueAt: T0 + 100 });
      assert.deepEqual(await claim(T0 + 99), []);
      // Expired: claimed without a token, so that the worker fails it with 4360 right away.
      assert.deepEqual(await claim(T0 + 100), [expiring]);
    });
  });

  describe('status changes', () => {
    async function submitted(store: PostgresStore, carrierId: string) {
      const m = outbound({ time: T0 });
      await store.messages.acceptOutbound(m.message, m.records);
      const [job] = (await store.delivery.claimDeliveries({ workerId: 'w', now: T0, limit: 1, leaseMs: 1000, rates: NO_LIMITS }))
        .jobs;
      assert.ok(job);
      assert.equal(await store.delivery.recordProgress(change(job, 'SENDING', T0 + 1)), true);
      assert.equal(await store.delivery.recordProgress(change(job, 'SENDING', T0 + 2)), false, 'reported once');
      assert.equal((await store.delivery.recordSubmitted(job, 'w', 'sim', [carrierId], T0 + 3)).owned, true);
      return job;
    }

    it('records a terminal change once, with one event and one callback', async () => {
      const job = await submitted(a, 'c-1');
      assert.deepEqual(await b.delivery.matchReceipt('sim', ['c-1'], 'delivered'), {
        job: { message: job.message, destinationTn: job.destinationTn, attempts: 0 },
        partsDelivered: 1,
        partCount: 1,
      });
      assert.equal(await b.delivery.matchReceipt('sim', ['c-2'], 'delivered'), undefined);
      assert.deepEqual(await b.delivery.findAwaitingReceipt(T0 + 4, 10), [
        { message: job.message, destinationTn: job.destinationTn, attempts: 0 },
      ]);
      assert.deepEqual(await b.delivery.findAwaitingReceipt(T0 + 3, 10), [], 'submitted at T0 + 3, not before');

      const delivered = change(job, 'DELIVERED', T0 + 5, { detail: 'receipt c-1', callback: callbackFor(job.message, 'message-delivered') });
      const failed = change(job, 'FAILED', T0 + 6, { errorCode: 9902, callback: callbackFor(job.message, 'message-failed') });
      // A receipt and the receipt sweeper at the same moment, in two processes: one wins.
      const outcomes = await Promise.all([a.delivery.recordTerminal(delivered), b.delivery.recordTerminal(failed)]);
      assert.deepEqual(
        outcomes.filter(Boolean),
        [true],
      );
      assert.equal(await a.delivery.recordTerminal(failed), false);

      const events = await b.delivery.listEvents(job.message.id);
      assert.deepEqual(
        events.map((e) => e.status),
        ['SENDING', 'SENT', outcomes[0] ? 'DELIVERED' : 'FAILED'],
      );
      assert.equal(events[1]?.detail, 'sim:c-1');
      const callbacks = await b.delivery.listCallbacks(job.message.id);
      assert.deepEqual(
        callbacks.map((c) => c.eventType),
        [outcomes[0] ? 'message-delivered' : 'message-failed'],
      );
      assert.deepEqual(await b.delivery.findAwaitingReceipt(T0 + 100, 10), [], 'settled');
      assert.equal(await b.delivery.queuedCount(ACCOUNT), 0);
      const [record] = (await b.messages.listMessages(ACCOUNT, query())).records;
      assert.equal(record?.messageStatus, outcomes[0] ? 'DELIVERED' : 'FAILED');
    });

    it('reports a progress status once when two processes record it at the same moment', async () => {
      const m = outbound({ time: T0, to: Array.from({ length: 10 }, (_, i) => `+1919555${String(2000 + i)}`) });
      await a.messages.acceptOutbound(m.message, m.records);
      for (const record of m.records) {
        const job: DeliveryJob = { message: m.message, destinationTn: record.destinationTn, attempts: 0 };
        const sending = change(job, 'SENDING', T0 + 1, { callback: callbackFor(m.message, 'message-sending') });
        const outcomes = await Promise.all([a.delivery.recordProgress(sending), b.delivery.recordProgress(sending)]);
        assert.deepEqual(
          outcomes.filter(Boolean),
          [true],
          record.destinationTn,
        );
      }
      assert.equal((await a.delivery.listEvents(m.message.id)).length, 10);
      assert.equal((await a.delivery.listCallbacks(m.message.id)).length, 10);
    });

    it('survives submits, retries and terminal changes of the same recipients racing in two processes', async () => {
      // Each recipient is submitted (or retried) by its worker while a receipt sweeper in the other
      // process ends it. Whatever the interleaving: no error (no deadlock surfaces), one terminal
      // event, nothing left queued or awaiting a receipt.
      const m = outbound({ time: T0, to: Array.from({ length: 10 }, (_, i) => `+1919555${String(3000 + i)}`) });
      const more = Array.from({ length: 9 }, () => outbound({ time: T0, to: m.message.to }));
      for (const x of [m, ...more]) await a.messages.acceptOutbound(x.message, x.records);
      const { jobs } = await a.delivery.claimDeliveries({ workerId: 'w', now: T0, limit: 100, leaseMs: 60_000, rates: NO_LIMITS });
      assert.equal(jobs.length, 100);
      await Promise.all(
        jobs.map((job, i) =>
          Promise.all([
            i % 2 === 0
              ? a.delivery.recordSubmitted(job, 'w', 'sim', [`race-${i}`], T0 + 1)
              : a.delivery.recordRetry(job, 'w', T0 + 1000, 'busy', T0 + 1),
            b.delivery.recordTerminal(change(job, 'FAILED', T0 + 2, { errorCode: 9902 })),
          ]),
        ),
      );
      const { rows } = await a.pool.query<{ n: number }>(
        `SELECT sum(${eventCountSql(['DELIVERED', 'FAILED'])})::int AS n FROM message_recipients`,
      );
      assert.equal(rows[0]?.n, 100);
      assert.equal(await a.delivery.queuedCount(ACCOUNT), 0);
      assert.deepEqual(await a.delivery.findAwaitingReceipt(T0 + 100, 1000), []);
    });

    it('settles a duplicate submit of a recipient that already ended', async () => {
      const job = await submitted(a, 'c-1');
      assert.equal(await a.delivery.recordTerminal(change(job, 'DELIVERED', T0 + 5)), true);
      // A second worker had taken the lease over and submitted again; its receipt will come too.
      assert.equal((await b.delivery.recordSubmitted(job, 'w2', 'sim', ['c-2'], T0 + 6)).owned, false);
      assert.deepEqual((await a.delivery.matchReceipt('sim', ['c-2'], 'delivered'))?.job, {
        message: job.message,
        destinationTn: job.destinationTn,
        attempts: 0,
      });
      assert.deepEqual(await a.delivery.findAwaitingReceipt(T0 + 100, 10), []);
      assert.equal(await a.delivery.recordTerminal(change(job, 'DELIVERED', T0 + 7)), false);
      assert.deepEqual(
        (await a.delivery.listEvents(job.message.id)).map((e) => e.status),
        ['SENDING', 'SENT', 'DELIVERED'],
      );
    });

    // A status change is one statement when the recipient's row did not change between its snapshot
    // and its row lock, and falls back to a transaction whose later statement sees what committed
    // meanwhile otherwise. These make that "meanwhile" happen for sure: a raw transaction does what
    // a concurrent submit (or progress) does and holds its locks until the store's statement, which
    // started after it, is seen waiting for them.
    async function whileHolding(sql: string[], params: unknown[][], during: () => Promise<boolean>): Promise<boolean> {
      const other = new pg.Client({ connectionString: database.url });
      await other.connect();
      try {
        await other.query('BEGIN');
        for (const [i, statement] of sql.entries()) await other.query(statement, params[i]);
        const outcome = during();
        // The store's statement has taken its snapshot once it waits for the row lock held here.
        for (let waited = 0; ; waited += 10) {
          const { rows } = await other.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'pigeon' AND wait_event_type = 'Lock'",
          );
          if (Number(rows[0]?.n) > 0) break;
          assert.ok(waited < 5000, 'the store never waited for the lock');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await other.query('COMMIT');
        return await outcome;
      } finally {
        await other.end();
      }
    }

    it('settles a carrier ref that a submit committed while the terminal change waited for it', async () => {
      const m = outbound({ time: T0 });
      await a.messages.acceptOutbound(m.message, m.records);
      const [job] = (await a.delivery.claimDeliveries({ workerId: 'w', now: T0, limit: 1, leaseMs: 1000, rates: NO_LIMITS })).jobs;
      assert.ok(job);
      const recipient = [job.message.id, job.destinationTn];
      // What recordSubmitted writes: recipient SENT and out of the queue, an unsettled ref.
      const applied = await whileHolding(
        [
          `UPDATE message_recipients SET status = 'SENT', run_at = NULL, locked_by = NULL, locked_until = NULL
            WHERE message_id = $1 AND destination_tn = $2`,
          `INSERT INTO carrier_refs (carrier, carrier_message_id, message_id, destination_tn, submitted_at, settled)
            VALUES ('sim', 'late-ref', $1, $2, 1, 0)`,
        ],
        [recipient, recipient],
        () => b.delivery.recordTerminal(change(job, 'FAILED', T0 + 5, { errorCode: 4360 })),
      );
      assert.equal(applied, true);
      assert.deepEqual(await a.delivery.findAwaitingReceipt(T0 + 100, 10), [], 'the late ref is settled');
      assert.deepEqual((await a.delivery.listEvents(job.message.id)).map((e) => e.status), ['FAILED']);
    });

    it('reports a progress status once when another process committed it while this one waited', async () => {
      const m = outbound({ time: T0 });
      await a.messages.acceptOutbound(m.message, m.records);
      const job: DeliveryJob = { message: m.message, destinationTn: m.message.to[0] as string, attempts: 0 };
      const recipient = [job.message.id, job.destinationTn];
      // What a concurrent recordProgress(SENDING) writes.
      const reported = await whileHolding(
        [
          "UPDATE message_recipients SET status = 'SENDING' WHERE message_id = $1 AND destination_tn = $2",
          `UPDATE message_recipients SET events = coalesce(events, '') || '{"s":"SENDING","t":1,"e":null,"d":null}' || chr(10)
            WHERE message_id = $1 AND destination_tn = $2`,
        ],
        [recipient, recipient],
        () => b.delivery.recordProgress(change(job, 'SENDING', T0 + 1, { callback: callbackFor(m.message, 'message-sending') })),
      );
      assert.equal(reported, false, 'already reported by the other one');
      assert.deepEqual((await a.delivery.listEvents(job.message.id)).map((e) => e.status), ['SENDING']);
      assert.deepEqual(await a.delivery.listCallbacks(job.message.id), []);
    });
  });

  describe('callback outbox', () => {
    it('sends one message\'s callbacks in order, leases them, and records every attempt', async () => {
      const m = outbound({ time: T0 }).message;
      const other = outbound({ time: T0 }).message;
      const inbound = (msg: Message, n: number) => {
        const copy: Message = { ...msg, id: `${msg.id}-${n}`, direction: 'in' };
        return { message: copy, record: recordOf(copy, copy.to[0] as string) };
      };
      // Callbacks 1, 2 and 4 are message X's, 3 is message Y's.
      const x = inbound(m, 1);
      const y = inbound(other, 1);
      await a.delivery.acceptInbound([{ ...x, callback: callbackFor(x.message, 'message-received') }]);
      const job: DeliveryJob = { message: x.message, destinationTn: x.message.to[0] as string, attempts: 0 };
      await a.delivery.recordTerminal(change(job, 'DELIVERED', T0 + 1, { callback: callbackFor(x.message, 'message-delivered') }));
      await a.delivery.acceptInbound([
        { ...y, callback: callbackFor(y.message, 'message-received') },
      ]);
      await a.pool.query(
        `INSERT INTO callback_outbox (message_id, account_id, application_id, event_type, url, body, created_at, run_at)
          VALUES ($1, $2, $3, 'message-failed', 'http://127.0.0.1:9/', '[]', $4, $4)`,
        [x.message.id, ACCOUNT, APP, T0 + 2],
      );
      const claim = (store: PostgresStore, workerId: string, now: number) =>
        store.delivery.claimCallbacks({ workerId, now, limit: 10, leaseMs: 1000, ...CALLBACK_CLAIM });

      const first = await claim(a, 'w1', T0 + 10);
      assert.deepEqual(
        first.map((c) => [c.id, c.messageId, c.attempts]),
        [
          [1, x.message.id, 1],
          [3, y.message.id, 1],
        ],
        'the second and third callbacks of X wait behind the first',
      );
      assert.deepEqual(await claim(b, 'w2', T0 + 10), [], 'leased');

      const failed = { time: T0 + 11, statusCode: 503, latencyMs: 7, error: undefined };
      await a.delivery.recordCallbackAttempt(1, 'w1', failed, { state: 'retry', runAt: T0 + 100 }, endpointReport(failed));
      const ok = { time: T0 + 11, statusCode: 204, latencyMs: 5, error: undefined };
      await a.delivery.recordCallbackAttempt(3, 'w1', ok, { state: 'delivered' }, endpointReport(ok));
      assert.deepEqual(await claim(b, 'w2', T0 + 99), [], 'X #1 is not due yet, and X #2 still waits behind it');

      const retried = await claim(b, 'w2', T0 + 100);
      assert.deepEqual(
        retried.map((c) => [c.id, c.attempts]),
        [[1, 2]],
      );
      // w1 comes back late: its lease is gone, so it records nothing over w2's attempt.
      const late = { time: T0 + 101, statusCode: 200, latencyMs: 1, error: undefined };
      await a.delivery.recordCallbackAttempt(1, 'w1', late, { state: 'delivered' }, endpointReport(late));
      const refused = { time: T0 + 102, statusCode: undefined, latencyMs: 30, error: 'ECONNREFUSED' };
      await b.delivery.recordCallbackAttempt(1, 'w2', refused, { state: 'abandoned' }, endpointReport(refused));
      assert.deepEqual(
        (await claim(a, 'w1', T0 + 200)).map((c) => c.id),
        [2],
      );

      const [abandoned, second, third] = await b.delivery.listCallbacks(x.message.id);
      assert.equal(abandoned?.state, 'abandoned');
      assert.equal(abandoned?.eventType, 'message-received');
      assert.deepEqual(abandoned?.attempts, [
        { attempt: 1, time: T0 + 11, statusCode: 503, latencyMs: 7, error: undefined },
        { attempt: 2, time: T0 + 102, statusCode: undefined, latencyMs: 30, error: 'ECONNREFUSED' },
      ]);
      assert.equal(second?.state, 'pending');
      assert.equal(second?.eventType, 'message-delivered');
      assert.equal(third?.eventType, 'message-failed');
      const { rows } = await a.pool.query<{ last_error: string }>('SELECT last_error FROM callback_outbox WHERE id = 1');
      assert.equal(rows[0]?.last_error, 'ECONNREFUSED');
      assert.equal((await b.delivery.listCallbacks(y.message.id))[0]?.state, 'delivered');
    });

    it('keeps a message\'s callbacks in order when its status changes commit in the opposite order to their ids', async () => {
      // A group message: both recipients end at about the same time, in two processes. The first
      // change is held up after writing its callback (a lock on its carrier ref stands in for a
      // slow commit); the second must not commit a later callback that a claim could send first.
      const m = outbound({ time: T0, to: ['+19195554001', '+19195554002'] });
      await a.messages.acceptOutbound(m.message, m.records);
      const { jobs } = await a.delivery.claimDeliveries({ workerId: 'w', now: T0, limit: 2, leaseMs: 60_000, rates: NO_LIMITS });
      const [first, second] = jobs as [DeliveryJob, DeliveryJob];
      await a.delivery.recordSubmitted(first, 'w', 'sim', ['order-1'], T0 + 1);
      await a.delivery.recordSubmitted(second, 'w', 'sim', ['order-2'], T0 + 1);

      const blocker = new pg.Client({ connectionString: database.url });
      await blocker.connect();
      const waitingOn = (event: string) =>
        eventually(async () => {
          const { rows } = await blocker.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event = $1",
            [event],
          );
          return (rows[0]?.n ?? 0) > 0;
        });
      try {
        await blocker.query('BEGIN');
        await blocker.query("SELECT 1 FROM carrier_refs WHERE carrier_message_id = 'order-1' FOR UPDATE");
        const delivered = (job: DeliveryJob) =>
          change(job, 'DELIVERED', T0 + 2, { callback: callbackFor(job.message, 'message-delivered') });
        const ending = [a.delivery.recordTerminal(delivered(first))];
        await waitingOn('transactionid'); // the first change: callback written, waiting to settle its ref
        ending.push(b.delivery.recordTerminal(delivered(second)));
        // The second change waits for the first to commit (without that, it would commit now).
        await Promise.race([ending[1], waitingOn('advisory')]);
        assert.deepEqual(await a.delivery.claimCallbacks({ workerId: 'c', now: T0 + 3, limit: 10, leaseMs: 1000, ...CALLBACK_CLAIM }), []);
        await blocker.query('ROLLBACK');
        assert.deepEqual(await Promise.all(ending), [true, true]);
      } finally {
        await blocker.end();
      }
      const claimed = await a.delivery.claimCallbacks({ workerId: 'c', now: T0 + 3, limit: 10, leaseMs: 1000, ...CALLBACK_CLAIM });
      const ids = (await a.delivery.listCallbacks(m.message.id)).map((c) => c.id);
      assert.deepEqual(
        claimed.map((c) => c.id),
        [Math.min(...ids)],
      );
    });

    it('never hands one callback to two concurrent claims', async () => {
      const copies = Array.from({ length: 200 }, () => {
        const message: Message = { ...outbound({ time: T0 }).message, direction: 'in' };
        return { message, record: recordOf(message, message.to[0] as string), callback: callbackFor(message, 'message-received') };
      });
      await a.delivery.acceptInbound(copies);
      const claims = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 === 0 ? a : b).delivery.claimCallbacks({ workerId: `w${i}`, now: T0 + 1, limit: 30, leaseMs: 60_000, ...CALLBACK_CLAIM }),
        ),
      );
      const ids = claims.flat().map((c) => c.id);
      assert.equal(new Set(ids).size, ids.length);
      const rest = await a.delivery.claimCallbacks({ workerId: 'x', now: T0 + 1, limit: 500, leaseMs: 60_000, ...CALLBACK_CLAIM });
      assert.equal(ids.length + rest.length, 200);
    });
  });

  describe('notifications', () => {
    it('wakes a listener in another process after an accepted message, and stops when unsubscribed', async () => {
      let deliveries = 0;
      let callbacks = 0;
      const stopDelivery = await b.listen('delivery', () => deliveries++);
      const stopCallbacks = await b.listen('callbacks', () => callbacks++);
      const m = outbound();
      await a.messages.acceptOutbound(m.message, m.records);
      await eventually(() => deliveries === 1);
      assert.equal(callbacks, 0);

      const inbound: Message = { ...outbound().message, direction: 'in' };
      await a.delivery.acceptInbound([
        { message: inbound, record: recordOf(inbound, inbound.to[0] as string), callback: callbackFor(inbound, 'message-received') },
      ]);
      await eventually(() => callbacks === 1);

      await stopDelivery();
      const again = outbound();
      await a.messages.acceptOutbound(again.message, again.records);
      await a.delivery.acceptInbound([
        {
          message: { ...inbound, id: `${inbound.id}-2` },
          record: { ...recordOf(inbound, inbound.to[0] as string), messageId: `${inbound.id}-2` },
          callback: callbackFor(inbound, 'message-received'),
        },
      ]);
      await eventually(() => callbacks === 2);
      assert.equal(deliveries, 1, 'unsubscribed');
      await stopCallbacks();
    });

    it('wakes callback workers in another process after a status change queued a callback', async () => {
      let callbacks = 0;
      const stop = await b.listen('callbacks', () => callbacks++);
      const m = outbound();
      await a.messages.acceptOutbound(m.message, m.records);
      const [job] = (await a.delivery.claimDeliveries({ workerId: 'w', now: T0, limit: 1, leaseMs: 1000, rates: NO_LIMITS })).jobs;
      assert.ok(job);
      assert.equal(await a.delivery.recordProgress(change(job, 'SENDING', T0 + 1)), true);
      assert.equal((await a.delivery.recordSubmitted(job, 'w', 'sim', ['wake-1'], T0 + 2)).owned, true);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(callbacks, 0, 'no callback queued, no notification');
      const delivered = change(job, 'DELIVERED', T0 + 3, { callback: callbackFor(job.message, 'message-delivered') });
      assert.equal(await a.delivery.recordTerminal(delivered), true);
      await eventually(() => callbacks === 1);
      await stop();
    });

    it('reconnects after losing its connection and catches up', async () => {
      const before = storeErrors.length;
      let deliveries = 0;
      const stop = await b.listen('delivery', () => deliveries++);
      // What a server restart or a failover does to the listening session.
      const admin = new pg.Client({ connectionString: ADMIN_URL });
      await admin.connect();
      try {
        const { rows } = await admin.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND (query LIKE 'LISTEN%' OR query LIKE 'UNLISTEN%')`,
          [new URL(database.url).pathname.slice(1)],
        );
        assert.equal(rows.length, 1, 'one listening connection per store');
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
      } finally {
        await admin.end();
      }
      // Whatever was committed while it was away is announced once it is back.
      await eventually(() => deliveries >= 1);
      assert.ok(storeErrors.length > before, 'the loss is reported');
      const seen = deliveries;
      const m = outbound();
      await a.messages.acceptOutbound(m.message, m.records);
      await eventually(() => deliveries === seen + 1);
      await stop();
    });
  });

  describe('settings and media', () => {
    it('keeps settings', async () => {
      assert.equal(await a.delivery.getSetting('simulator.rules'), undefined);
      await a.delivery.putSetting('simulator.rules', '[1]', T0);
      await b.delivery.putSetting('simulator.rules', '[2]', T0 + 1);
      assert.equal(await a.delivery.getSetting('simulator.rules'), '[2]');
    });

    it('round-trips binary media and lists it by name', async () => {
      const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const big = randomBytes(1024 * 1024);
      const put = (name: string, data: Buffer, createdAt: number, cacheControl?: string) =>
        a.media.putMedia({ accountId: ACCOUNT, name, contentType: 'application/octet-stream', cacheControl, data, createdAt });
      await put('b.bin', every, T0, 'no-cache');
      await put('a.jpg', big, T0 + 1);
      await put('Z.txt', Buffer.from('upper case sorts first in byte order'), T0 + 2);
      await b.media.putMedia({ accountId: OTHER_ACCOUNT, name: 'a.jpg', contentType: 'image/jpeg', cacheControl: undefined, data: every, createdAt: T0 });

      assert.deepEqual(await b.media.getMedia(ACCOUNT, 'b.bin'), {
        accountId: ACCOUNT,
        name: 'b.bin',
        contentType: 'application/octet-stream',
        cacheControl: 'no-cache',
        data: every,
        createdAt: T0,
      });
      assert.ok((await b.media.getMedia(ACCOUNT, 'a.jpg'))?.data.equals(big));
      assert.equal(await b.media.getMedia(ACCOUNT, 'missing'), undefined);
      assert.equal(await b.media.hasMedia(ACCOUNT, 'a.jpg'), true);
      assert.equal(await b.media.hasMedia(ACCOUNT, 'nope'), false);

      assert.deepEqual(await b.media.listMedia(ACCOUNT, undefined, 10), [
        { name: 'Z.txt', size: 36 },
        { name: 'a.jpg', size: big.length },
        { name: 'b.bin', size: 256 },
      ]);
      assert.deepEqual(await b.media.listMedia(ACCOUNT, 'Z.txt', 1), [{ name: 'a.jpg', size: big.length }]);

      await put('b.bin', Buffer.from('replaced'), T0 + 3);
      assert.equal((await a.media.getMedia(ACCOUNT, 'b.bin'))?.data.toString(), 'replaced');
      assert.equal(await a.media.deleteMedia(ACCOUNT, 'Z.txt'), true);
      assert.equal(await a.media.deleteMedia(ACCOUNT, 'Z.txt'), false);
      assert.equal(await a.media.deleteMediaCreatedBefore(T0 + 2), 2, 'a.jpg of both accounts');
      assert.deepEqual(await a.media.listMedia(ACCOUNT, undefined, 10), [{ name: 'b.bin', size: 8 }]);
    });
  });

  describe('simulator receipts', () => {
    it('hands each due receipt to one process at a time and keeps it until recorded', async () => {
      for (let i = 0; i < 50; i++) await a.simulator.scheduleReceipt(`r-${i}`, T0 + i, JSON.stringify({ delivered: true, i }));
      await a.simulator.scheduleReceipt('later', T0 + 10_000, '{}');
      assert.equal(await b.simulator.nextReceiptDueAt(), T0);

      const now = T0 + 100;
      const [fromA, fromB] = await Promise.all([a.simulator.dueReceipts(now, 30), b.simulator.dueReceipts(now, 30)]);
      const ids = [...fromA, ...fromB].map((r) => r.carrierMessageId);
      assert.equal(ids.length, 50);
      assert.equal(new Set(ids).size, 50);
      for (const batch of [fromA, fromB]) {
        assert.deepEqual(
          batch.map((r) => r.dueAt),
          [...batch.map((r) => r.dueAt)].sort((x, y) => x - y),
        );
      }
      assert.deepEqual(fromA.find((r) => r.carrierMessageId === 'r-7') ?? fromB.find((r) => r.carrierMessageId === 'r-7'), {
        carrierMessageId: 'r-7',
        dueAt: T0 + 7,
        receipt: JSON.stringify({ delivered: true, i: 7 }),
      });
      assert.deepEqual(await a.simulator.dueReceipts(now, 100), [], 'all leased');
      assert.equal(await a.simulator.nextReceiptDueAt(), T0 + 10_000, 'leased receipts are not due before their lease ends');

      // Recorded: gone. Refused: rescheduled, which ends the lease. Neither: taken again after the lease.
      await a.simulator.deleteReceipt('r-0');
      await a.simulator.scheduleReceipt('r-1', now + 50, '{"tries":1}');
      assert.deepEqual(
        (await b.simulator.dueReceipts(now + 50, 100)).map((r) => r.carrierMessageId),
        ['r-1'],
      );
      const again = (await b.simulator.dueReceipts(now + 30_001, 100)).map((r) => r.carrierMessageId);
      assert.equal(again.length, 49, 'r-2 … r-49, whose lease ran out, and `later`, due by now');
      assert.ok(again.includes('later'));
      assert.ok(!again.includes('r-0') && !again.includes('r-1'), 'deleted, and leased again at now + 50');
    });

    it("leaves another process's receipts to it until they are overdue, so they do not overtake its records", async () => {
      // What the first test left: taken and removed, so that only this test's receipts remain.
      const T = T0 + 1_000_000_000;
      for (const left of await a.simulator.dueReceipts(T, 1000)) await a.simulator.deleteReceipt(left.carrierMessageId);
      // A's receipts are its own for 5 s once it takes them (simulator.receiptLeaseSeconds), B's for 30 s.
      const ownerA = { idPrefix: 'sim-aaaa-', othersAfterMs: 2000, leaseMs: 5000 };
      const ownerB = { idPrefix: 'sim-bbbb-', othersAfterMs: 2000, leaseMs: 30_000 };
      await a.simulator.scheduleReceipt('sim-aaaa-1', T, '{"delivered":true}');
      await b.simulator.scheduleReceipt('sim-bbbb-1', T, '{"delivered":true}');
      await a.simulator.scheduleReceipt('sim-aaaa-2', T + 10, '{"delivered":true}');

      const ids = (rows: Array<{ carrierMessageId: string }>) => rows.map((r) => r.carrierMessageId);
      assert.deepEqual(ids(await b.simulator.dueReceipts(T + 100, 10, ownerB)), ['sim-bbbb-1'], 'its own only');
      assert.equal(await b.simulator.nextReceiptDueAt(ownerB), T + 2000, "the other's first receipt, once overdue");
      assert.equal(await a.simulator.nextReceiptDueAt(ownerA), T, 'its own, when due');
      assert.deepEqual(ids(await a.simulator.dueReceipts(T + 5, 10, ownerA)), ['sim-aaaa-1']);
      // A stops delivering (it died): B takes what A still owes once it is overdue, not before.
      assert.deepEqual(ids(await b.simulator.dueReceipts(T + 2009, 10, ownerB)), []);
      assert.deepEqual(ids(await b.simulator.dueReceipts(T + 2010, 10, ownerB)), ['sim-aaaa-2']);
      // What A took and never recorded is B's once A's own lease has run out, not B's 30 s.
      assert.deepEqual(ids(await b.simulator.dueReceipts(T + 5005, 10, ownerB)), [], 'taken by A at T + 5, leased until T + 5005');
      assert.deepEqual(ids(await b.simulator.dueReceipts(T + 5006, 10, ownerB)), ['sim-aaaa-1']);
      for (const id of ['sim-aaaa-1', 'sim-aaaa-2', 'sim-bbbb-1']) await a.simulator.deleteReceipt(id);
      assert.equal(await a.simulator.nextReceiptDueAt(ownerA), undefined);
    });
  });
});
