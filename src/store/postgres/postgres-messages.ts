// Messages and their per-recipient records in PostgreSQL.
import type { Pool } from 'pg';
import type { Message, MessageRecord } from '../../core/messages/message.js';
import type { MessageQuery, MessageStore } from '../../core/ports.js';
import { buildMessageListQuery } from '../sql/message-list-query.js';
import { MESSAGE_COLUMNS, messageParams, RECORD_COLUMNS, recordFromRow, recordParams, type RecordRow } from '../sql/rows.js';
import { storeError } from './errors.js';
import { valuesList } from './rows.js';
import { named, run } from './statements.js';
import type { PostgresGroupCommitter } from './group-commit.js';
import type { Notifier } from './transaction.js';

const QUEUE_COLUMNS = `message_id, destination_tn, account_id, source_tn, priority, segment_count, enqueued_at, run_at,
  expires_at`;

export class PostgresMessages implements MessageStore {
  constructor(
    private readonly pool: Pool,
    private readonly notifier: Notifier,
    /** Accepts arriving together commit together (group-commit.ts). */
    private readonly batch: PostgresGroupCommitter,
  ) {}

  async acceptOutbound(message: Message, records: readonly MessageRecord[]): Promise<void> {
    const priority = message.priority === 'high' ? 0 : 1;
    const msg = valuesList([messageParams(message)]);
    const recs = valuesList(records.map(recordParams), msg.params.length);
    const queue = valuesList(
      records.map((record) => [
        message.id,
        record.destinationTn,
        message.accountId,
        message.from,
        priority,
        message.segmentCount,
        message.time,
        message.time,
        message.expiresAt ?? null,
      ]),
      msg.params.length + recs.params.length,
    );
    // One statement, so the message, its records and its queue entries are written together; it runs
    // in the next group commit with the other accepts (and workers' writes) of this turn of the event
    // loop, and the promise resolves after that COMMIT (durable with the default
    // synchronous_commit=on). Data-modifying CTEs all run to completion even though the outer SELECT reads none of them, and
    // the foreign key from message_recipients to messages is checked at the end of the statement,
    // when the message row exists. New rows only: the message's key orders it first in a batch.
    const ctes = [`m AS (INSERT INTO messages (${MESSAGE_COLUMNS}) VALUES ${msg.sql})`];
    if (records.length > 0) {
      ctes.push(`r AS (INSERT INTO message_recipients (${RECORD_COLUMNS}) VALUES ${recs.sql})`);
      ctes.push(`q AS (INSERT INTO delivery_queue (${QUEUE_COLUMNS}) VALUES ${queue.sql})`);
    }
    // Named: the text depends only on the number of recipients (at most ten), so it is one of a few.
    const statement = named(`WITH ${ctes.join(',\n')} SELECT 1`);
    const values = [...msg.params, ...recs.params, ...queue.params];
    await this.batch.run(`0|${message.id}`, (client) => run(client, statement, values));
    // Workers in other processes learn of it after the commit (Notifier).
    this.notifier.wake('delivery');
  }

  async listMessages(accountId: string, query: MessageQuery): Promise<{ totalCount: number; records: MessageRecord[] }> {
    const { where, countWhere, countParams, orderBy, params } = buildMessageListQuery(accountId, query, {
      placeholder: (i) => `$${i}`,
      explicitNulls: true,
      tagArray: true,
    });
    const n = params.length;
    // Two statements, as in SQLite, each with its own snapshot; run side by side on two connections.
    // Unnamed: the text varies with the filters (statements.ts).
    const [total, page] = await Promise.all([
      query.countLimit === 0
        ? { rows: [{ n: 0 }] }
        : this.pool.query<{ n: number }>(
            query.countLimit === undefined
              ? `SELECT count(*) AS n FROM message_recipients WHERE ${countWhere}`
              : `SELECT count(*) AS n FROM (SELECT 1 FROM message_recipients WHERE ${countWhere} LIMIT ${Math.floor(query.countLimit)}) c`,
            countParams,
          ),
      this.pool.query<RecordRow>(
        `SELECT * FROM message_recipients WHERE ${where} ORDER BY ${orderBy} LIMIT $${n + 1} OFFSET $${n + 2}`,
        [...params, query.limit, query.offset],
      ),
    ]).catch((err: unknown) => {
      throw storeError(err);
    });
    return { totalCount: Number(total.rows[0]?.n ?? 0), records: page.rows.map(recordFromRow) };
  }
}
