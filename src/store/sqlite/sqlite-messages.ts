// Messages and their per-recipient records in SQLite.
import type Database from 'better-sqlite3';
import type { Message, MessageRecord } from '../../core/messages/message.js';
import type { MessageFeedQuery, MessageQuery, MessageStore } from '../../core/ports.js';
import { buildMessageFeedQuery } from '../sql/message-feed.js';
import { buildMessageListQuery } from '../sql/message-list-query.js';
import type { GroupCommitter } from './group-commit.js';
import { MESSAGE_COLUMNS, messageFromRow, messageParams, RECORD_COLUMNS, recordFromRow, recordParams, type MessageRow, type RecordRow } from '../sql/rows.js';

const placeholders = (columns: string) => columns.split(',').map(() => '?').join(', ');

export const INSERT_MESSAGE = `INSERT INTO messages (${MESSAGE_COLUMNS}) VALUES (${placeholders(MESSAGE_COLUMNS)})`;

export const INSERT_RECORD = `INSERT INTO message_recipients (${RECORD_COLUMNS}) VALUES (${placeholders(RECORD_COLUMNS)})`;

export const INSERT_EVENT = `INSERT INTO message_events (message_id, destination_tn, status, time, error_code, detail)
  VALUES (?, ?, ?, ?, ?, ?)`;

export class SqliteMessages implements MessageStore {
  private readonly insertMessage;
  private readonly insertRecord;
  private readonly enqueue;

  constructor(
    private readonly db: Database.Database,
    private readonly writes: GroupCommitter,
    /** Called once accepted messages are committed, so a delivery worker in another thread looks now. */
    private readonly queued: () => void = () => {},
  ) {
    this.insertMessage = db.prepare(INSERT_MESSAGE);
    this.insertRecord = db.prepare(INSERT_RECORD);
    this.enqueue = db.prepare(`INSERT INTO delivery_queue (message_id, destination_tn, account_id, source_tn,
        priority, segment_count, enqueued_at, run_at, expires_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  }

  async acceptOutbound(message: Message, records: readonly MessageRecord[]): Promise<void> {
    await this.writes.run(() => {
      this.insertMessage.run(...messageParams(message));
      const priority = message.priority === 'high' ? 0 : 1;
      for (const record of records) {
        this.insertRecord.run(...recordParams(record));
        this.enqueue.run(
          message.id,
          record.destinationTn,
          message.accountId,
          message.from,
          priority,
          message.segmentCount,
          message.time,
          message.time,
          message.expiresAt ?? null,
        );
      }
    });
    this.queued();
  }

  async listMessages(accountId: string, query: MessageQuery): Promise<{ totalCount: number; records: MessageRecord[] }> {
    const { where, countWhere, countParams, orderBy, params } = buildMessageListQuery(accountId, query, {
      placeholder: () => '?',
      prefixRange: true,
    });
    const counted =
      query.countLimit === undefined
        ? `SELECT count(*) AS n FROM message_recipients WHERE ${countWhere}`
        : `SELECT count(*) AS n FROM (SELECT 1 FROM message_recipients WHERE ${countWhere} LIMIT ${Math.floor(query.countLimit)})`;
    const total = query.countLimit === 0 ? { n: 0 } : (this.db.prepare(counted).get(...countParams) as { n: number });
    const rows = this.db
      .prepare(`SELECT * FROM message_recipients WHERE ${where} ORDER BY ${orderBy} LIMIT ? OFFSET ?`)
      .all(...params, query.limit, query.offset) as RecordRow[];
    return { totalCount: total.n, records: rows.map(recordFromRow) };
  }

  async messagesAfter(query: MessageFeedQuery): Promise<Message[]> {
    const { sql, params } = buildMessageFeedQuery(query, () => '?');
    return (this.db.prepare(sql).all(...params) as MessageRow[]).map(messageFromRow);
  }
}
