// The opt-out list in PostgreSQL. The block check is one statement on the pool: under READ
// COMMITTED it sees every transaction that committed before it started, whichever process wrote it.
import type { Pool } from 'pg';
import type { OptOutChange, OptOutCheck, OptOutEntry, OptOutEvent, OptOutQuery, OptOutStore } from '../../core/opt-out/opt-out-port.js';
import { changeStatement, eventsQuery, eventValues, listQuery, SQL, toDollar, toEntry, toEvent, type EntryRow, type EventRow } from '../sql/opt-out-rows.js';
import { storeError } from './errors.js';
import { named, run } from './statements.js';
import { inTransaction } from './transaction.js';

const STATEMENTS = new Map<string, ReturnType<typeof named>>(
  [SQL.insert, SQL.deleteOne, SQL.deleteApplying, SQL.applying, SQL.exempt, SQL.event].map((sql) => [sql, named(toDollar(sql))]),
);
const statement = (sql: string) => STATEMENTS.get(sql) as ReturnType<typeof named>;

export class PostgresOptOuts implements OptOutStore {
  constructor(private readonly pool: Pool) {}

  record(changes: readonly OptOutChange[]): Promise<boolean[]> {
    return inTransaction(this.pool, async (client) => {
      const results: boolean[] = [];
      for (const change of changes) {
        const effect = changeStatement(change);
        const changed = effect ? ((await run(client, statement(effect.sql), effect.values)).rowCount ?? 0) > 0 : false;
        await run(client, statement(SQL.event), eventValues(change, changed, (b) => b));
        results.push(changed);
      }
      return results;
    });
  }

  async blockFor(check: OptOutCheck): Promise<OptOutEntry | undefined> {
    const { rows } = await run<EntryRow>(this.pool, statement(SQL.applying), [
      check.recipient,
      check.from,
      check.applicationId,
      check.accountId,
    ]);
    const row = rows[0];
    if (!row) return undefined;
    // Rare (a blocked recipient), so a second round trip only then.
    const exempt = await run(this.pool, statement(SQL.exempt), [check.messageId]);
    return exempt.rows.length > 0 ? undefined : toEntry(row);
  }

  async list(query: OptOutQuery): Promise<OptOutEntry[]> {
    const { sql, values } = listQuery(query);
    return (await this.query<EntryRow>(toDollar(sql), values)).map(toEntry);
  }

  async events(query: { accountId?: string; recipient?: string; limit: number }): Promise<OptOutEvent[]> {
    const { sql, values } = eventsQuery(query);
    return (await this.query<EventRow>(toDollar(sql), values)).map(toEvent);
  }

  private async query<R extends object>(text: string, values: unknown[]): Promise<R[]> {
    try {
      return (await this.pool.query<R & Record<string, unknown>>(text, values)).rows;
    } catch (err) {
      throw storeError(err);
    }
  }
}
