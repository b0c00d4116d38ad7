// `BENCH_SQL_ROWS=1`: preloaded into the Pigeon children (`node --import`), it counts the rows each
// thread's SQLite statements insert, update or delete, by table, and writes the totals to
// $PIGEON_SQL_ROWS_DIR when the thread exits (and every two seconds). SQLite keeps no per-table
// statistics and `total_changes()` is per connection, inside Pigeon's processes, so the count has
// to be taken there. Only writing statements are wrapped (`statement.reader` false, or a RETURNING
// write), so reads cost nothing extra. Each connection's own `total_changes()` is kept beside the
// by-table sum, so that rows written some other way (exec(), iterate()) show up as unattributed
// instead of vanishing. Neither counts rows REPLACE deletes to resolve a conflict (SQLite does not).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setInterval } from 'node:timers';
import { threadId } from 'node:worker_threads';

const dir = process.env.PIGEON_SQL_ROWS_DIR;
if (dir) {
  const Database = createRequire(import.meta.url)('better-sqlite3');
  const WRITE = /\b(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+["`[]?(\w+)/i;
  const byTable = new Map();
  /** Open connections, and total_changes() of those already closed. */
  const connections = new Set();
  const totalChangesOf = new WeakMap();
  let closedTotal = 0;
  const add = (table, rows) => {
    if (rows > 0) byTable.set(table, (byTable.get(table) ?? 0) + rows);
  };
  const totalChanges = (db) => {
    let statement = totalChangesOf.get(db);
    if (statement === undefined) {
      statement = prepare.call(db, 'SELECT total_changes() AS n').pluck();
      totalChangesOf.set(db, statement);
    }
    return statement.get();
  };
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function (source) {
    const statement = prepare.call(this, source);
    connections.add(this);
    const table = WRITE.exec(source)?.[1];
    if (statement.reader && (table === undefined || !/\bRETURNING\b/i.test(source))) return statement;
    const name = table ?? '(other)';
    const run = statement.run;
    statement.run = function (...args) {
      const info = run.apply(this, args);
      add(name, info.changes);
      return info;
    };
    countReturning(this, statement, name);
    return statement;
  };
  // A RETURNING write read with get() or all(): the connection's counter says how many rows it changed.
  const countReturning = (db, statement, name) => {
    for (const method of ['get', 'all']) {
      const original = statement[method];
      statement[method] = function (...args) {
        const before = totalChanges(db);
        const result = original.apply(this, args);
        add(name, totalChanges(db) - before);
        return result;
      };
    }
  };
  const close = Database.prototype.close;
  Database.prototype.close = function (...args) {
    if (this.open && connections.has(this)) closedTotal += totalChanges(this);
    connections.delete(this);
    const closed = close.apply(this, args);
    // A worker thread closes its connection and is then terminated: its 'exit' never comes.
    write();
    return closed;
  };
  const file = join(dir, `rows-${process.pid}-${threadId}.json`);
  const write = () => {
    let total = closedTotal;
    for (const db of connections) if (db.open) total += totalChanges(db);
    writeFileSync(file, JSON.stringify({ pid: process.pid, thread: threadId, totalChanges: total, byTable: [...byTable] }));
  };
  process.on('exit', write);
  setInterval(write, 2000).unref();
}
