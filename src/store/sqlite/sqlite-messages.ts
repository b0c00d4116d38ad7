// Messages and their per-recipient records in SQLite.
import type Database from 'better-sqlite3';
import type { Message, MessageRecord } from '../../core/messages/message.js';
import type { MessageQuery, MessageStore } from '../../core/ports.js';
import { buildMessageListQuery } from '../sql/message-list-query.js';
import type { GroupCommitter } from './group-commit.js';
import { messageParams, recordFromRow, recordParams, type RecordRow } from './rows.js';

export const INSERT_MESSAGE = `INSERT INTO messages (id, account_id, application_id, direction, owner, from_tn,
    to_json, text, media_json, tag, priority, expiration, expires_at, segment_count, message_type, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export const INSERT_RECORD = `INSERT INTO message_recipients (message_id, destination_tn, account_id, source_tn,
    direction, message_type, status, error_code, carrier_name, segment_count, message_size, message_length,
    attachment_count, recipient_count, calling_a3, called_a3, product, campaign_class, campaign_id, location,
    bw_latency, carrier_latency, receive_time, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export const INSERT_EVENT = `INSERT INTO message_events (message_id, destination_tn, status, time, error_code, detail)
  VALUES (?, ?, ?, ?, ?, ?)`;

export class SqliteMessages implements MessageStore {
  private readonly insertMessage;
  private readonly insertRecord;
  private readonly enqueue;

  constructor(
    private readonly db: Database.Database,
    private readonly writes: GroupCommitter,
  ) {
    this.insertMessage = db.prepare(INSERT_MESSAGE);
    this.insertRecord = db.prepare(INSERT_RECORD);
    this.enqueue = db.prepare(`INSERT INTO delivery_queue (message_id, destination_tn, account_id, source_tn,
        priority, segment_count, enqueued_at, run_at, expires_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  }

  acceptOutbound(message: Message, records: readonly MessageRecord[]): Promise<void> {
    return this.writes.run(() => {
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
  }

  async listMessages(accountId: string, query: MessageQuery): Promise<{ totalCount: number; records: MessageRecord[] }> {
    const { where, orderBy, params } = buildMessageListQuery(accountId, query, () => '?');
    const total = this.db.prepare(`SELECT count(*) AS n FROM message_recipients WHERE ${where}`).get(...params) as {
      n: number;
    };
    const rows = this.db
      .prepare(`SELECT * FROM message_recipients WHERE ${where} ORDER BY ${orderBy} LIMIT ? OFFSET ?`)
      .all(...params, query.limit, query.offset) as RecordRow[];
    return { totalCount: total.n, records: rows.map(recordFromRow) };
  }
}
