// The list scenario: GET …/messages over a store of 10 000, 100 000 and 1 000 000 message records
// per engine. The store is filled with bulk SQL straight into the schema Pigeon's migrations made
// (several accounts; a realistic spread of numbers, statuses, directions, types, tags, error codes,
// carriers and dates over 30 days), then a real `--role api` Pigeon is started on it and each query
// is timed over HTTP: the first page of every filter, every sort, a deep page reached through page
// tokens, and the console's own list route. The figure to watch is how p99 grows from the smallest
// store to the largest (target: within 2x).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withSql } from '../../test/helpers/databases.js';
import type { ChildServer } from './child.js';
import { createBenchDatabase, type BenchDatabase, type Engine } from './databases.js';
import { ACCOUNT_ID, accountsYaml, PASSWORD, REQUEST_HEADERS, USERNAME } from './fixture.js';
import { startPigeon, type PigeonOptions } from './pigeon.js';
import { fixed, formatTable } from './table.js';

export interface ListOptions {
  root: string;
  tempDir: string;
  engines: readonly Engine[];
  sizes: readonly number[];
  repeats: number;
  deepPages: number;
  sqliteQuery: string;
  nodeArgs: readonly string[];
  failures: string[];
}

export interface ListFigure {
  engine: Engine;
  size: number;
  query: string;
  p50Ms: number;
  p99Ms: number;
}

const DAY_MS = 86_400_000;
/** The records' receive times spread over this many days back from the fill. */
const SPREAD_DAYS = 30;
/** Customers the accounts send to; a number of theirs is an exact-number filter that matches few records. */
const CUSTOMERS = 50_000;
export const TARGET_LIST_RATIO = 2;

/**
 * One INSERT … SELECT per table over a generated series of row numbers `i`. Every column is derived
 * from `i` by multiplicative hashes, so both engines get the same rows. Expressions use only what
 * SQLite and PostgreSQL share (`%`, `||`, CASE); `pad` and the series differ.
 */
function fillSql(engine: Engine, size: number, now: number, oneAccount: boolean): string[] {
  const series =
    engine === 'sqlite'
      ? `(WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ${size - 1}) SELECT i FROM s) g`
      : `generate_series(0::bigint, ${size - 1}) AS g(i)`;
  const pad = (expr: string, width: number) =>
    engine === 'sqlite' ? `substr('${'0'.repeat(width)}' || (${expr}), -${width})` : `lpad((${expr})::text, ${width}, '0')`;
  // A multiplicative hash modulo the prime 2^31 - 1, then reduced: columns derived with different
  // multipliers do not follow each other (plain `i * p % m` with small moduli would correlate them).
  const h = (prime: number, modulo: number) => `(((i + 1) * ${prime} % 2147483647) % ${modulo})`;
  // Receive times: newest first in row order (the fill appends to the indexes instead of scattering),
  // spread evenly over SPREAD_DAYS in whole seconds, so that neighbours may share one (ties in the order).
  const time = `(${now} - (i * ${SPREAD_DAYS * 86_400} / ${size}) * 1000)`;
  const account = oneAccount
    ? `'${ACCOUNT_ID}'`
    : `(CASE WHEN i % 10 < 6 THEN '${ACCOUNT_ID}' WHEN i % 10 < 8 THEN '9900011' WHEN i % 10 < 9 THEN '9900012' ELSE '9900013' END)`;
  const inbound = `(${h(7919, 100)} < 15)`;
  const owned = `('+1919555' || ${pad(h(104729, 20), 4)})`;
  const customer = `('+1415' || ${pad(h(15485863, CUSTOMERS), 7)})`;
  const uk = `(${h(49979687, 100)} < 5)`;
  const dest = `(CASE WHEN ${inbound} THEN ${owned} WHEN ${uk} THEN '+4477009' || ${pad(h(32452843, 100000), 5)} ELSE ${customer} END)`;
  const source = `(CASE WHEN ${inbound} THEN ${customer} ELSE ${owned} END)`;
  const mms = `(${h(3571, 100)} < 10)`;
  const roll = h(86028121, 1000);
  // Outbound: 2% FAILED (with an error code), 1% UNDELIVERED, 3% SENT, 1% QUEUED, the rest DELIVERED.
  const status = `(CASE WHEN ${inbound} THEN 'RECEIVED' WHEN ${roll} < 20 THEN 'FAILED' WHEN ${roll} < 30 THEN 'UNDELIVERED' WHEN ${roll} < 60 THEN 'SENT' WHEN ${roll} < 70 THEN 'QUEUED' ELSE 'DELIVERED' END)`;
  const errorCode = `(CASE WHEN ${inbound} THEN 0 WHEN ${roll} < 5 THEN 4720 WHEN ${roll} < 12 THEN 4750 WHEN ${roll} < 20 THEN 5620 WHEN ${roll} < 30 THEN 4432 ELSE 0 END)`;
  const segments = `(CASE WHEN ${mms} THEN 1 ELSE 1 + ${h(1299709, 7)} / 3 END)`;
  const length = `(CASE WHEN ${mms} THEN ${h(611953, 200)} ELSE 20 + ${h(611953, 140)} * ${segments} END)`;
  const carrier = `(CASE WHEN ${inbound} THEN NULL WHEN ${h(5003, 3)} = 0 THEN 'Verizon' WHEN ${h(5003, 3)} = 1 THEN 'T-Mobile' ELSE 'AT&T' END)`;
  const tag = `(CASE WHEN ${h(7727, 100)} < 30 THEN 'campaign-' || ${h(6151, 50)} ELSE NULL END)`;
  const campaign = `(CASE WHEN ${inbound} THEN NULL WHEN ${h(7727, 100)} < 30 THEN 'CA' || ${pad(h(6151, 50), 5)} ELSE NULL END)`;
  const latency = `(CASE WHEN ${inbound} THEN NULL ELSE ${h(9973, 12)} END)`;
  const id = `(${pad(time, 13)} || ${pad('i', 16)})`;
  return [
    `INSERT INTO messages (id, account_id, application_id, direction, owner, from_tn, to_json, text, media_json, tag, priority,
       segment_count, message_type, created_at)
     SELECT ${id}, ${account}, 'bench-app', CASE WHEN ${inbound} THEN 'in' ELSE 'out' END,
       CASE WHEN ${inbound} THEN ${dest} ELSE ${source} END, ${source}, '["' || ${dest} || '"]', 'Your code is ' || i,
       CASE WHEN ${mms} THEN '["https://example.test/m.png"]' ELSE NULL END, ${tag}, 'default', ${segments},
       CASE WHEN ${mms} THEN 'mms' ELSE 'sms' END, ${time}
     FROM ${series}`,
    `INSERT INTO message_recipients (message_id, destination_tn, account_id, source_tn, direction, message_type, status,
       error_code, carrier_name, segment_count, message_size, message_length, attachment_count, recipient_count,
       calling_a3, called_a3, product, campaign_class, campaign_id, location, bw_latency, carrier_latency, receive_time, updated_at)
     SELECT ${id}, ${dest}, ${account}, ${source}, CASE WHEN ${inbound} THEN 'INBOUND' ELSE 'OUTBOUND' END,
       CASE WHEN ${mms} THEN 'mms' ELSE 'sms' END, ${status}, ${errorCode}, ${carrier}, ${segments},
       CASE WHEN ${mms} THEN 40000 + ${h(7717, 300000)} ELSE ${length} END, ${length}, CASE WHEN ${mms} THEN 1 ELSE 0 END, 1,
       'USA', CASE WHEN ${uk} AND NOT ${inbound} THEN 'GBR' ELSE 'USA' END,
       CASE WHEN ${h(4219, 10)} < 2 THEN 'TOLL_FREE' ELSE 'LOCAL_A2P' END, NULL, ${campaign},
       CASE WHEN ${h(3221, 10)} < 1 THEN 'loc-7' ELSE NULL END, ${latency}, ${latency}, ${time}, ${time}
     FROM ${series}`,
  ];
}

/**
 * Makes the schema with Pigeon's own migrations (a `--role api` process started and stopped), then
 * puts `size` message records in with bulk SQL while no Pigeon runs: one message and one recipient
 * record each, over SPREAD_DAYS back from `now`. `oneAccount`: every record is ACCOUNT_ID's (the
 * export scenario); else they are spread over four accounts, 60% ACCOUNT_ID's (the list scenario).
 */
export async function fillStore(
  base: Omit<PigeonOptions, 'name' | 'role'>,
  db: BenchDatabase,
  size: number,
  now: number,
  options: { label: string; oneAccount: boolean },
): Promise<void> {
  const migrator = await startPigeon({ ...base, name: `pigeon ${options.label} ${db.engine} migrate`, role: 'api' });
  await migrator.stop();
  const fillStart = Date.now();
  await withSql(
    db.url,
    async (sql) => {
      if (db.engine === 'sqlite') await sql.run('PRAGMA cache_size = -262144');
      for (const statement of fillSql(db.engine, size, now, options.oneAccount)) await sql.run(statement);
      // PostgreSQL: what autovacuum would have done on a store that grew over weeks (statistics,
      // visibility map). SQLite gets no help here: Pigeon runs PRAGMA optimize when it opens.
      if (db.engine === 'postgres') await sql.run('VACUUM ANALYZE');
    },
    { write: true },
  );
  console.log(`${options.label} ${db.engine} ${size}: filled in ${fixed((Date.now() - fillStart) / 1000, 1)} s`);
}

/** The API queries: the first page of every filter and every sort (limit 100, the default). */
function apiQueries(now: number): Array<[string, string]> {
  const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
  const customer = encodeURIComponent('+14150000042');
  const owned = encodeURIComponent('+19195550007');
  const filters: Array<[string, string]> = [
    ['newest (no filter)', ''],
    ['sourceTn: an owned number', `sourceTn=${owned}`],
    ['sourceTn: prefix +1919555', `sourceTn=${encodeURIComponent('+1919555')}`],
    ['destinationTn: one customer', `destinationTn=${customer}`],
    ['destinationTn: 3 numbers', `destinationTn=${encodeURIComponent('+14150000042,+14150000043,+14150012345')}`],
    ['messageStatus=DELIVERED', 'messageStatus=DELIVERED'],
    ['messageStatus=FAILED', 'messageStatus=FAILED'],
    ['messageDirection=INBOUND', 'messageDirection=INBOUND'],
    ['messageType=mms', 'messageType=mms'],
    ['errorCode=4720', 'errorCode=4720'],
    ['carrierName=Verizon', 'carrierName=Verizon'],
    ['campaignId', 'campaignId=CA00007'],
    ['product=TOLL_FREE', 'product=TOLL_FREE'],
    ['location', 'location=loc-7'],
    ['calledNumberCountryA3=GBR', 'calledNumberCountryA3=GBR'],
    ['fromDateTime/toDateTime: 1 day', `fromDateTime=${iso(now - 4 * DAY_MS)}&toDateTime=${iso(now - 3 * DAY_MS)}`],
    ['segmentCount 3..3', 'fromSegmentCount=3&toSegmentCount=3'],
    ['messageSize 100..200', 'fromMessageSize=100&toMessageSize=200'],
    ['fromBwLatency=10', 'fromBwLatency=10'],
    ['fromCarrierLatency=11', 'fromCarrierLatency=11'],
    ['bwQueued=true', 'bwQueued=true'],
    ['carrierQueued=true', 'carrierQueued=true'],
  ];
  const sorts = [
    'messageId', 'accountId', 'sourceTn', 'destinationTn', 'messageStatus', 'messageDirection', 'messageType',
    'segmentCount', 'errorCode', 'receiveTime', 'carrierName', 'messageSize', 'messageLength', 'attachmentCount',
    'recipientCount', 'campaignClass', 'campaignId', 'bwLatency', 'carrierLatency', 'callingNumberCountryA3',
    'calledNumberCountryA3', 'product', 'location',
  ].map((field): [string, string] => [`sort=${field}:asc`, `sort=${field}%3Aasc`]);
  // limitTotalCount=true: the count stops at 10 000, as Bandwidth allows; the exact count is timed apart.
  return [...filters, ...sorts].map(([label, query]) => [label, `limitTotalCount=true${query ? `&${query}` : ''}`]);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function timed(url: string, headers: Record<string, string>): Promise<{ ms: number; body: Record<string, unknown> }> {
  const start = process.hrtime.bigint();
  const res = await fetch(url, { headers });
  const text = await res.text();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${text.slice(0, 200)}`);
  return { ms, body: JSON.parse(text) as Record<string, unknown> };
}

/** Times `url` `repeats` times after two warm-up requests; slow queries get fewer repeats. */
async function measure(url: string, headers: Record<string, string>, repeats: number): Promise<{ p50Ms: number; p99Ms: number }> {
  const warm = (await timed(url, headers)).ms;
  await timed(url, headers);
  const runs = warm > 500 ? Math.min(repeats, 5) : repeats;
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push((await timed(url, headers)).ms);
  samples.sort((a, b) => a - b);
  return { p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99) };
}

/** Follows `pages - 1` next-page tokens from `firstUrl`; returns the last page's URL. */
async function deepUrl(firstUrl: string, headers: Record<string, string>, pages: number, tokenUrl: (token: string) => string): Promise<string> {
  let url = firstUrl;
  for (let page = 1; page < pages; page++) {
    const { body } = await timed(url, headers);
    const token = (body.pageInfo as { nextPageToken?: string }).nextPageToken;
    if (!token) throw new Error(`no page ${page + 1} after ${url}`);
    url = tokenUrl(token);
  }
  return url;
}

async function consoleSession(server: ChildServer): Promise<Record<string, string>> {
  const res = await fetch(`${server.url}/console/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.url, 'sec-fetch-site': 'same-origin' },
    body: JSON.stringify({ accountId: ACCOUNT_ID, username: USERNAME, password: PASSWORD }),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`console sign-in: ${res.status} ${text}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return { cookie, 'sec-fetch-site': 'same-origin' };
}

async function measureStore(options: ListOptions, engine: Engine, size: number): Promise<ListFigure[]> {
  const db = await createBenchDatabase(engine, options.tempDir, `list-${size}`, options.sqliteQuery);
  const configPath = join(options.tempDir, 'pigeon-list.yaml');
  writeFileSync(configPath, `${accountsYaml()}limits:\n  listRequestsPerWindow: 100000000\n`);
  const base = { root: options.root, configPath, databaseUrl: db.url, nodeArgs: [...options.nodeArgs] };
  const figures: ListFigure[] = [];
  let server: ChildServer | undefined;
  try {
    const now = Date.now();
    await fillStore(base, db, size, now, { label: 'list', oneAccount: false });
    server = await startPigeon({ ...base, name: `pigeon list ${engine} ${size}`, role: 'api' });
    const url = `${server.url}/api/v2/users/${ACCOUNT_ID}/messages`;
    const auth = { authorization: REQUEST_HEADERS.authorization };
    const record = (query: string, m: { p50Ms: number; p99Ms: number }) => {
      figures.push({ engine, size, query, ...m });
      console.log(`  ${query}: p50 ${fixed(m.p50Ms, 1)} ms, p99 ${fixed(m.p99Ms, 1)} ms`);
    };
    for (const [label, query] of apiQueries(now)) record(label, await measure(`${url}?${query}`, auth, options.repeats));
    for (const [label, query] of [
      ['newest, exact totalCount', ''],
      ['messageStatus=FAILED, exact totalCount', 'messageStatus=FAILED'],
    ] as const) {
      record(label, await measure(`${url}?${query}`, auth, options.repeats));
    }
    // Deep pages over all SPREAD_DAYS (the default 14 days of the smallest store hold too few pages).
    const all = `limitTotalCount=true&fromDateTime=${encodeURIComponent(new Date(now - (SPREAD_DAYS + 1) * DAY_MS).toISOString())}`;
    for (const [label, query] of [
      [`page ${options.deepPages} through tokens`, all],
      [`page ${options.deepPages}, sort=messageStatus:asc`, `${all}&sort=messageStatus%3Aasc`],
    ] as const) {
      const deep = await deepUrl(`${url}?${query}`, auth, options.deepPages, (t) => `${url}?${query}&pageToken=${t}`);
      record(label, await measure(deep, auth, options.repeats));
    }

    // The console's own route: pages of 50, no count, tokens without the API's 10 000 window.
    const session = await consoleSession(server);
    const consoleUrl = `${server.url}/console/api/accounts/${ACCOUNT_ID}/messages`;
    record('console: newest', await measure(`${consoleUrl}?limit=50`, session, options.repeats));
    record('console: status FAILED', await measure(`${consoleUrl}?limit=50&messageStatus=FAILED`, session, options.repeats));
    record('console: tag', await measure(`${consoleUrl}?limit=50&tag=campaign-7`, session, options.repeats));
    // The same page without the count the API adds: what a filter no index serves costs by itself.
    for (const filter of ['messageType=mms', 'carrierName=Verizon', 'campaignId=CA00007', 'fromSegmentCount=3&toSegmentCount=3']) {
      record(`console (no count): ${filter}`, await measure(`${consoleUrl}?limit=50&${filter}`, session, options.repeats));
    }
    record('console: one recipient', await measure(`${consoleUrl}?limit=50&destinationTn=${encodeURIComponent('+14150000042')}`, session, options.repeats));
    const consolePages = options.deepPages * 2;
    const consoleDeep = await deepUrl(`${consoleUrl}?limit=50`, session, consolePages, (t) => `${consoleUrl}?limit=50&pageToken=${t}`);
    record(`console: page ${consolePages}`, await measure(consoleDeep, session, options.repeats));
  } catch (err) {
    options.failures.push(`list ${engine} ${size}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    if (server) await server.stop();
    await db.drop();
  }
  return figures;
}

export async function runList(options: ListOptions): Promise<ListFigure[]> {
  const figures: ListFigure[] = [];
  for (const engine of options.engines) {
    for (const size of options.sizes) {
      console.log(`\n== list: ${engine}, ${size} records`);
      figures.push(...(await measureStore(options, engine, size)));
    }
  }
  return figures;
}

/** One table per engine: p50/p99 per query at each size, and p99 at the largest size over the smallest. */
export function printList(figures: readonly ListFigure[], sizes: readonly number[]): void {
  if (figures.length === 0) return;
  const smallest = Math.min(...sizes);
  const largest = Math.max(...sizes);
  for (const engine of new Set(figures.map((f) => f.engine))) {
    const ofEngine = figures.filter((f) => f.engine === engine);
    const queries = [...new Set(ofEngine.map((f) => f.query))];
    let misses = 0;
    const rows = queries.map((query) => {
      const at = (size: number) => ofEngine.find((f) => f.query === query && f.size === size);
      const cells = sizes.map((size) => {
        const f = at(size);
        return f ? `${fixed(f.p50Ms, 1)} / ${fixed(f.p99Ms, 1)}` : '-';
      });
      const low = at(smallest)?.p99Ms;
      const high = at(largest)?.p99Ms;
      const ratio = low === undefined || high === undefined ? undefined : high / low;
      if (ratio !== undefined && ratio > TARGET_LIST_RATIO) misses++;
      return [query, ...cells, ratio === undefined ? '-' : `${fixed(ratio, 2)}x${ratio > TARGET_LIST_RATIO ? ' MISS' : ''}`];
    });
    const header = ['query', ...sizes.map((s) => `${s}: p50 / p99 ms`), `p99 ${largest}/${smallest}`];
    console.log(`\n== list (${engine})\n${formatTable(header, rows)}`);
    console.log(`${engine}: ${queries.length - misses} of ${queries.length} queries within ${TARGET_LIST_RATIO}x of their p99 at ${smallest}`);
  }
}
