// Messages and their per-recipient records in PostgreSQL.
import type { Pool, PoolClient } from 'pg';
import type { Message, MessageRecord } from '../../core/messages/message.js';
import type { MessageFeedQuery, MessageQuery, MessageStore } from '../../core/ports.js';
import { buildMessageFeedQuery } from '../sql/message-feed.js';
import { buildMessageListQuery } from '../sql/message-list-query.js';
import {
  MESSAGE_COLUMNS,
  messageFromRow,
  messageParams,
  QUEUE_COLUMNS,
  queueParams,
  RECORD_COLUMNS,
  recordFromRow,
  recordParams,
  type MessageRow,
  type RecordRow,
} from '../sql/rows.js';
import { storeError } from './errors.js';
import { valuesList } from './rows.js';
import type { Combined, PostgresGroupCommitter } from './group-commit.js';
import type { Notifier } from './transaction.js';

/** An outbound recipient with its queue state (migration 0022); queue_seq comes from its sequence. */
const QUEUED_RECORD_COLUMNS = `${RECORD_COLUMNS}, ${QUEUE_COLUMNS.replace(', queue_seq', '')}`;

interface Accepted {
  message: Message;
  records: readonly MessageRecord[];
}

/** Parameters per statement at most, well below PostgreSQL's 65 535 per statement. */
const MAX_PARAMS = 30_000;

/**
 * The accepted messages of one group commit, their records and their queue entries, written by
 * one statement (one per MAX_PARAMS parameters). Data-modifying CTEs all run to completion even
 * though the outer SELECT reads none of them, and the foreign key from message_recipients to
 * messages is checked at the end of the statement, when the message rows exist. New rows only, so
 * no lock order to keep. Unnamed: the text varies with the number of rows (statements.ts).
 */
const ACCEPTS: Combined<Accepted> = {
  kind: 'accept',
  execute: async (client, accepted) => {
    let chunk: Accepted[] = [];
    let params = 0;
    for (const a of accepted) {
      const size = 17 + a.records.length * 26;
      if (chunk.length > 0 && params + size > MAX_PARAMS) {
        await insertAccepted(client, chunk);
        chunk = [];
        params = 0;
      }
      chunk.push(a);
      params += size;
    }
    if (chunk.length > 0) await insertAccepted(client, chunk);
  },
};

async function insertAccepted(client: PoolClient, accepted: readonly Accepted[]): Promise<void> {
  const msg = valuesList(accepted.map((a) => messageParams(a.message)));
  const recs = valuesList(
    accepted.flatMap((a) => a.records.map((record) => [...recordParams(record), ...queueParams(a.message)])),
    msg.params.length,
  );
  const ctes = [`m AS (INSERT INTO messages (${MESSAGE_COLUMNS}) VALUES ${msg.sql})`];
  if (recs.params.length > 0) ctes.push(`r AS (INSERT INTO message_recipients (${QUEUED_RECORD_COLUMNS}) VALUES ${recs.sql})`);
  try {
    await client.query(`WITH ${ctes.join(',\n')} SELECT 1`, [...msg.params, ...recs.params]);
  } catch (err) {
    throw storeError(err);
  }
}

export class PostgresMessages implements MessageStore {
  constructor(
    private readonly pool: Pool,
    private readonly notifier: Notifier,
    /** Accepts arriving together commit together (group-commit.ts). */
    private readonly batch: PostgresGroupCommitter,
  ) {}

  async acceptOutbound(message: Message, records: readonly MessageRecord[]): Promise<void> {
    // Accepts of one group commit are written by one statement (ACCEPTS); the promise resolves
    // after that batch's COMMIT (durable with the default synchronous_commit=on).
    await this.batch.runCombined(`0|${message.id}`, ACCEPTS, { message, records }, 'accept');
    // Workers in other processes learn of it after the commit (Notifier).
    this.notifier.wake('delivery');
  }

  async listMessages(accountId: string, query: MessageQuery): Promise<{ totalCount: number; records: MessageRecord[] }> {
    const { where, countWhere, countParams, orderBy, params } = buildMessageListQuery(accountId, query, {
      placeholder: (i) => `$${i}`,
      explicitNulls: true,
      tagArray: true,
      ilike: true,
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

  async messagesAfter(query: MessageFeedQuery): Promise<Message[]> {
    const { sql, params } = buildMessageFeedQuery(query, (i) => `$${i}`);
    const { rows } = await this.pool.query<MessageRow>(sql, params).catch((err: unknown) => {
      throw storeError(err);
    });
    return rows.map(messageFromRow);
  }
}
