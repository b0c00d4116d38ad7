// The export scenario (README: Export): a store of N messages of one account, filled with bulk SQL
// (list.ts), then GET /admin/v1/messages/export streamed from a `--role api` Pigeon child process as
// NDJSON and as CSV, while the child's RSS is read from /proc every SAMPLE_MS. Reported: rows/s,
// total time, peak RSS over the RSS before the export, and whether memory stayed flat (the last
// quarter's peak within FLAT_TOLERANCE of the second quarter's: a stream that held what it had sent
// would grow from quarter to quarter). A row count other than the store's fails the bench.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildServer } from './child.js';
import { createBenchDatabase, type Engine } from './databases.js';
import { rssKb } from './e2e.js';
import { ACCOUNT_ID, accountsYaml, REQUEST_HEADERS } from './fixture.js';
import { fillStore } from './list.js';
import { startPigeon } from './pigeon.js';
import { fixed, formatTable } from './table.js';

/** One process streaming from a standing start: its second quarter, not its first, is the steady state. */
const FLAT_TOLERANCE = 0.15;

export interface ExportOptions {
  root: string;
  tempDir: string;
  engines: readonly Engine[];
  /** Messages in the store (each engine's). */
  messages: number;
  sqliteQuery: string;
  nodeArgs: readonly string[];
  failures: string[];
}

const FORMATS = ['ndjson', 'csv'] as const;
type Format = (typeof FORMATS)[number];

export interface ExportFigure {
  engine: Engine;
  format: Format;
  messages: number;
  rows: number;
  megabytes: number;
  seconds: number;
  beforeMb: number | undefined;
  peakMb: number | undefined;
  secondQuarterPeakMb: number | undefined;
  lastQuarterPeakMb: number | undefined;
  flat: boolean | undefined;
}

const SAMPLE_MS = 100;
const NEWLINE = 10;

interface Sample {
  at: number;
  kb: number;
}

const peakOf = (samples: readonly Sample[]) => (samples.length === 0 ? undefined : Math.max(...samples.map((s) => s.kb)) / 1024);

/** Streams one export, counting its lines as they arrive; the server's RSS sampled meanwhile. */
async function streamExport(server: ChildServer, format: Format): Promise<{ lines: number; bytes: number; ms: number; samples: Sample[]; beforeKb: number | undefined }> {
  const beforeKb = rssKb(server.pid);
  const samples: Sample[] = [];
  const timer = setInterval(() => {
    const kb = rssKb(server.pid);
    if (kb !== undefined) samples.push({ at: performance.now(), kb });
  }, SAMPLE_MS);
  const start = performance.now();
  try {
    const res = await fetch(`${server.url}/admin/v1/messages/export?accountId=${ACCOUNT_ID}&format=${format}`, {
      headers: { authorization: REQUEST_HEADERS.authorization },
    });
    if (res.status !== 200 || !res.body) throw new Error(`export ${format}: ${res.status} ${await res.text()}`);
    let lines = 0;
    let bytes = 0;
    let last = NEWLINE;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) lines++;
      last = chunk.at(-1) ?? last;
    }
    if (last !== NEWLINE) throw new Error(`export ${format}: the body ends inside a line`);
    return { lines, bytes, ms: performance.now() - start, samples, beforeKb };
  } finally {
    clearInterval(timer);
  }
}

async function measureEngine(options: ExportOptions, engine: Engine): Promise<ExportFigure[]> {
  const size = options.messages;
  const db = await createBenchDatabase(engine, options.tempDir, `export-${size}`, options.sqliteQuery);
  const configPath = join(options.tempDir, 'pigeon-export.yaml');
  // The sandbox routes exist where the admin API does; the export itself goes as the account's API user.
  writeFileSync(configPath, `admin: { token: bench-admin-token-0123456789 }\n${accountsYaml()}`);
  const base = { root: options.root, configPath, databaseUrl: db.url, nodeArgs: [...options.nodeArgs] };
  const figures: ExportFigure[] = [];
  let server: ChildServer | undefined;
  try {
    await fillStore(base, db, size, Date.now(), { label: 'export', oneAccount: true });
    // What the export must hold: a line per message (NDJSON), a row per recipient record (CSV).
    const expected: Record<Format, number> = {
      ndjson: await db.scalar(`SELECT count(*) FROM messages WHERE account_id = '${ACCOUNT_ID}'`),
      csv: await db.scalar(`SELECT count(*) FROM message_recipients WHERE account_id = '${ACCOUNT_ID}'`),
    };
    server = await startPigeon({ ...base, name: `pigeon export ${engine}`, role: 'api' });
    for (const format of FORMATS) {
      const run = await streamExport(server, format);
      const rows = format === 'csv' ? run.lines - 1 : run.lines;
      if (rows !== expected[format]) options.failures.push(`export ${engine} ${format}: ${rows} rows, the store holds ${expected[format]}`);
      const span = run.samples.length > 0 ? (run.samples.at(-1) as Sample).at - (run.samples[0] as Sample).at : 0;
      const from = run.samples[0]?.at ?? 0;
      const quarter = (q: number) => run.samples.filter((s) => s.at >= from + (span * (q - 1)) / 4 && s.at <= from + (span * q) / 4);
      const second = peakOf(quarter(2));
      const lastQuarter = peakOf(quarter(4));
      const figure: ExportFigure = {
        engine,
        format,
        messages: expected.ndjson,
        rows,
        megabytes: run.bytes / 1e6,
        seconds: run.ms / 1000,
        beforeMb: run.beforeKb === undefined ? undefined : run.beforeKb / 1024,
        peakMb: peakOf(run.samples),
        secondQuarterPeakMb: second,
        lastQuarterPeakMb: lastQuarter,
        flat: second === undefined || lastQuarter === undefined ? undefined : lastQuarter <= second * (1 + FLAT_TOLERANCE),
      };
      figures.push(figure);
      console.log(
        `  ${format}: ${rows} rows, ${fixed(figure.megabytes, 1)} MB in ${fixed(figure.seconds, 1)} s (${fixed(rows / figure.seconds, 0)} rows/s); ` +
          `RSS ${fixed(figure.beforeMb, 0)} MB before, peak ${fixed(figure.peakMb, 0)} MB; quarters 2/4 peak ${fixed(second, 0)}/${fixed(lastQuarter, 0)} MB`,
      );
    }
  } catch (err) {
    options.failures.push(`export ${engine} ${size}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    if (server) {
      const code = await server.stop();
      if (code !== 0) options.failures.push(`export ${engine}: Pigeon exited with ${code}`);
    }
    await db.drop();
  }
  return figures;
}

export async function runExport(options: ExportOptions): Promise<ExportFigure[]> {
  const figures: ExportFigure[] = [];
  for (const engine of options.engines) {
    console.log(`\n== export: ${engine}, ${options.messages} messages`);
    figures.push(...(await measureEngine(options, engine)));
  }
  return figures;
}

export function printExport(figures: readonly ExportFigure[]): void {
  if (figures.length === 0) return;
  const rows = figures.map((f) => [
    `${f.engine} ${f.format}`,
    String(f.messages),
    String(f.rows),
    fixed(f.megabytes, 1),
    fixed(f.seconds, 1),
    fixed(f.rows / f.seconds, 0),
    fixed(f.beforeMb, 0),
    f.peakMb === undefined || f.beforeMb === undefined ? '-' : `+${fixed(f.peakMb - f.beforeMb, 0)}`,
    f.flat === undefined ? 'unknown' : f.flat ? 'yes' : 'NO',
  ]);
  console.log(
    `\n== export (GET /admin/v1/messages/export, streamed; server RSS from /proc every ${SAMPLE_MS} ms; ` +
      `flat: last quarter's peak within ${FLAT_TOLERANCE * 100}% of the second's)\n` +
      formatTable(['export', 'messages', 'rows', 'MB', 'seconds', 'rows/s', 'RSS before MB', 'peak over before MB', 'flat'], rows),
  );
}
