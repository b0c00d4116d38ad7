// `BENCH_SQL_PROFILE=1`: preloaded into the Pigeon children (`node --import`), it times every
// SQLite statement and transaction statement (BEGIN, COMMIT) each thread runs, by SQL text, and
// writes the totals to $PIGEON_SQL_PROFILE_DIR when the thread exits (and every two seconds, so a
// SIGKILL loses little). bench/lib/sql-profile.ts prints them per message. A CPU profile shows
// better-sqlite3's native time under whichever JS function called it; this says which statement.
// The timing adds about 1 µs a call: compare figures of profiled runs with each other only.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setInterval } from 'node:timers';
import { threadId } from 'node:worker_threads';

const dir = process.env.PIGEON_SQL_PROFILE_DIR;
if (dir) {
  const Database = createRequire(import.meta.url)('better-sqlite3');
  const totals = new Map();
  const add = (sql, started) => {
    const ns = Number(process.hrtime.bigint() - started);
    const entry = totals.get(sql);
    if (entry) {
      entry.calls += 1;
      entry.ns += ns;
    } else totals.set(sql, { calls: 1, ns });
  };
  const timed = (sql, fn) =>
    function (...args) {
      const started = process.hrtime.bigint();
      try {
        return fn.apply(this, args);
      } finally {
        add(sql, started);
      }
    };
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function (source) {
    const statement = prepare.call(this, source);
    const sql = source.replace(/\s+/g, ' ').trim();
    for (const method of ['run', 'get', 'all', 'iterate']) statement[method] = timed(sql, statement[method]);
    return statement;
  };
  const exec = Database.prototype.exec;
  Database.prototype.exec = function (source) {
    return timed(source.replace(/\s+/g, ' ').trim().slice(0, 200), exec).call(this, source);
  };
  const file = join(dir, `sql-${process.pid}-${threadId}.json`);
  const write = () => writeFileSync(file, JSON.stringify({ pid: process.pid, thread: threadId, totals: [...totals] }));
  process.on('exit', write);
  // A worker thread closes its connection and is then terminated: its 'exit' never comes.
  const close = Database.prototype.close;
  Database.prototype.close = function (...args) {
    const closed = close.apply(this, args);
    write();
    return closed;
  };
  setInterval(write, 2000).unref();
}
