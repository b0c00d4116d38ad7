// How many messages per second a PostgreSQL primary would sustain, from the per-message costs one
// end-to-end run measured (pg-work.ts) and nothing else but stated hardware parameters: cores,
// fsync latency and WAL bandwidth. Each resource gives a ceiling; the lowest binds. It is a model,
// not a measurement: it assumes the primary's CPU time per message stays what it was here and
// scales linearly over cores, and that Pigeon's own processes run on other machines.
import type { PgWork } from './pg-work.js';
import { fixed, formatTable } from './table.js';

export const CORES = [2, 8, 32, 64] as const;
/** fsync latency of the WAL device: NVMe, a decent SAN, network storage. */
export const FSYNC_MS = [0.1, 1, 5] as const;
export const WAL_BANDWIDTH_MB_S = 500;

export interface CapacityRow {
  cores: number;
  fsyncMs: number;
  cpu: number;
  /** One fsync per commit, one after another: no group commit at all. */
  flushPerCommit: number;
  /** The run's fsyncs per message, one after another: group commit batching as much as it did here. */
  flushMeasured: number | undefined;
  bandwidth: number;
}

export function capacityRows(work: PgWork): CapacityRow[] {
  const rows: CapacityRow[] = [];
  for (const cores of CORES) {
    for (const fsyncMs of FSYNC_MS) {
      rows.push({
        cores,
        fsyncMs,
        cpu: (cores * 1e6) / work.serverCpuUsPerMessage,
        flushPerCommit: 1000 / (fsyncMs * work.commitsPerMessage),
        flushMeasured: work.flushesPerMessage ? 1000 / (fsyncMs * work.flushesPerMessage) : undefined,
        bandwidth: (WAL_BANDWIDTH_MB_S * 1e6) / work.walBytesPerMessage,
      });
    }
  }
  return rows;
}

function binding(limits: Record<string, number | undefined>): { rate: number; what: string } {
  let best = { rate: Infinity, what: '-' };
  for (const [what, rate] of Object.entries(limits)) if (rate !== undefined && rate < best.rate) best = { rate, what };
  return best;
}

export function printCapacityInputs(work: PgWork, pigeonCpuUsPerMessage: number | undefined): void {
  const perFlush = work.flushesPerMessage ? work.commitsPerMessage / work.flushesPerMessage : undefined;
  console.log(`\n== capacity inputs (PostgreSQL, per message, over the ${work.messages} messages of the run; ${work.version})`);
  console.log(`  commits                     ${fixed(work.commitsPerMessage, 2)}`);
  console.log(`  WAL bytes                   ${fixed(work.walBytesPerMessage, 0)}`);
  console.log(
    `  WAL flushes (fsyncs)        ${fixed(work.flushesPerMessage, 3)}` +
      `${perFlush === undefined ? ' (pg_stat_wal.wal_sync not available)' : ` (${fixed(perFlush, 1)} commits per flush)`}` +
      `${work.flushMs === undefined ? '' : `, ${fixed(work.flushMs, 3)} ms each here`}`,
  );
  console.log(`  WAL writes                  ${fixed(work.walWritesPerMessage, 3)}`);
  console.log(`  rows written                ${fixed(work.rowsWrittenPerMessage, 1)}`);
  console.log(`  rows read                   ${fixed(work.rowsReadPerMessage, 1)} (seq_tup_read + idx_tup_fetch of the user tables)`);
  console.log(`  pigeon CPU µs               ${fixed(pigeonCpuUsPerMessage, 0)} (all Pigeon processes)`);
  console.log(
    `  postgres server CPU µs      ${fixed(work.serverCpuUsPerMessage, 0)} (this database's backends and the background processes; ` +
      `every postgres process on the machine: ${fixed(work.allPostgresCpuUsPerMessage, 0)})`,
  );
  console.log(`  client connections          ${work.connections}`);
  console.log(`  server settings             ${work.settings}`);
  if (work.otherCommits > work.commitsPerMessage * work.messages * 0.01) {
    console.log(
      `  warning: other databases committed ${work.otherCommits} transactions meanwhile; WAL bytes and flushes are server-wide and include theirs`,
    );
  }
}

export function printCapacity(work: PgWork, pigeonCpuUsPerMessage: number | undefined): void {
  const rows = capacityRows(work).map((r) => {
    const measured = binding({ CPU: r.cpu, 'WAL flush': r.flushMeasured, 'WAL bandwidth': r.bandwidth });
    const pessimistic = binding({ CPU: r.cpu, 'WAL flush': r.flushPerCommit, 'WAL bandwidth': r.bandwidth });
    return [
      String(r.cores),
      String(r.fsyncMs),
      fixed(r.cpu, 0),
      fixed(r.flushMeasured, 0),
      fixed(r.flushPerCommit, 0),
      fixed(r.bandwidth, 0),
      `${fixed(measured.rate, 0)} ${measured.what}`,
      `${fixed(pessimistic.rate, 0)} ${pessimistic.what}`,
      fixed(pigeonCpuUsPerMessage === undefined ? undefined : (measured.rate * pigeonCpuUsPerMessage) / 1e6, 1),
    ];
  });
  const ceiling = (fsyncMs: number) => (work.connections * 1000) / (fsyncMs * work.commitsPerMessage);
  console.log(`\n== capacity model (PostgreSQL primary; messages per second; the lowest ceiling binds)`);
  console.log(
    formatTable(
      [
        'cores',
        'fsync ms',
        'CPU',
        'WAL flush, measured batching',
        'WAL flush, 1 per commit',
        `WAL ${WAL_BANDWIDTH_MB_S} MB/s`,
        'sustained (measured batching)',
        'sustained (1 fsync per commit)',
        'pigeon cores needed',
      ],
      rows,
    ),
  );
  console.log(
    [
      '  CPU: cores × 1 s / the server CPU µs per message measured here; assumes linear scaling and Pigeon on other machines.',
      '  WAL flushes are serialised (one fsync at a time), so a primary does at most 1/fsync-latency of them per second.',
      '  "1 per commit": no group commit, every commit its own fsync: 1 / (fsync × commits per message). The floor.',
      `  "measured batching": the fsyncs per message this run needed (${fixed(work.flushesPerMessage, 3)}), i.e. group commit letting one`,
      '   fsync serve as many commits as it did here. With slower storage more commits wait per fsync, so batching should grow,',
      '   not shrink; but it cannot exceed the connections committing at once: with perfect group commit,',
      `   ${work.connections} connections give at most ${FSYNC_MS.map((f) => `${fixed(ceiling(f), 0)}/s at ${f} ms`).join(', ')}.`,
      `  WAL bandwidth: ${WAL_BANDWIDTH_MB_S} MB/s / WAL bytes per message. Checkpoints' full-page writes are in the measured bytes only`,
      '   as far as a checkpoint fell inside the run.',
      '  pigeon cores needed: the measured-batching rate × Pigeon CPU µs per message, on the application machines.',
    ].join('\n'),
  );
}
