// Named prepared statements. pg sends an unnamed statement as Parse + Bind + Execute every time, so
// PostgreSQL parses, analyses and plans it on every call; a named one is parsed once per pooled
// connection, and after a few executions PostgreSQL may keep a generic plan and skip planning too.
// Most of the store's statements are short primary-key reads and writes, for which that overhead
// was a large part of the server's work per message.
import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import { storeError } from './errors.js';

export interface Statement {
  readonly name: string;
  readonly text: string;
}

/**
 * Each named text stays prepared on every pooled connection for the connection's life, so only texts
 * from a small fixed set may be named. More than this means text built per call is being named.
 */
const MAX_STATEMENTS = 200;

const byText = new Map<string, Statement>();

/**
 * The named statement for `text`. The name is derived from the text, so one text always has one
 * name and two texts never share one (pg refuses a name reused with another text). Only for static
 * SQL, or SQL assembled from a small fixed set of shapes (with or without a callback, one to ten
 * recipients); SQL whose text varies with the request's data (list filters) must stay unnamed.
 *
 * A prepared statement keeps the result columns it was prepared with, and PostgreSQL refuses to run
 * one whose `*` would now expand to other columns ("cached plan must not change result type"), as
 * after a migration adds a column while older processes still run. Named statements therefore list
 * their result columns rather than select `*`.
 */
export function named(text: string): Statement {
  let statement = byText.get(text);
  if (!statement) {
    if (byText.size >= MAX_STATEMENTS) {
      throw new Error(`more than ${MAX_STATEMENTS} distinct named statements: SQL built per call is being named`);
    }
    statement = { name: `pigeon_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`, text };
    byText.set(text, statement);
  }
  return statement;
}

/**
 * Runs a named statement on the pool (a transaction of its own) or on a transaction's client; a
 * failure comes back as the store's error (errors.ts).
 */
export async function run<R extends QueryResultRow = QueryResultRow>(
  on: Pool | PoolClient,
  statement: Statement,
  values: unknown[] = [],
): Promise<QueryResult<R>> {
  try {
    return await on.query<R>({ name: statement.name, text: statement.text, values });
  } catch (err) {
    throw storeError(err);
  }
}
