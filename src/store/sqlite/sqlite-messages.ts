// Messages and their per-recipient records in SQLite.
import type Database from 'better-sqlite3';
import type { Message, MessageRecord } from '../../core/messages/message.js';
import type { MessageFeedQuery, MessageQuery, MessageStore } from '../../core/ports.js';
import { buildMessageFeedQuery } from '../sql/message-feed.js';
import { buildMessageListQuery } from '../sql/message-list-query.js';
import type { GroupCommitter } from './group-commit.js';
import { MESSAGE_COLUMNS, messageFromRow, messageParams, QUEUE_COLUMNS, queueParams, RECORD_COLUMNS, recordFromRow, recordParams, type MessageRow, type RecordRow } from '../sql/rows.js';

const placeholders = (columns: string) => columns.split(',').map(() => '?').join(', ');

export const INSERT_MESSAGE = `INSERT INTO messages (${MESSAGE_COLUMNS}) VALUES (${placeholders(MESSAGE_COLUMNS)})`;

export const INSERT_RECORD = `INSERT INTO message_recipients (${RECORD_COLUMNS}) VALUES (${placeholders(RECORD_COLUMNS)})`;

/**
 * An outbound recipient, queued (migration 0022). Its arrival order within a millisecond is its
 * message's rowid, which SQLite gives each new row above every other, times 1024, plus its place
 * among the message's recipients.
 */
const INSERT_QUEUED_RECORD = `INSERT INTO message_recipients (${RECORD_COLUMNS}, ${QUEUE_COLUMNS})
  VALUES (${placeholders(RECORD_COLUMNS)}, ${placeholders(QUEUE_COLUMNS)})`;

export class SqliteMessages implements MessageStore {
  private readonly insertMessage;
  private readonly insertQueued;

  constructor(
    private readonly db: Database.Database,
    private readonly writes: GroupCommitter,
    /** Called once accepted messages are committed, so a delivery worker in another thread looks now. */
    private readonly queued: () => void = () => {},
  ) {
    this.insertMessage = db.prepare(INSERT_MESSAGE);
    this.insertQueued = db.prepare(INSERT_QUEUED_RECORD);
  }

  async acceptOutbound(message: Message, records: readonly MessageRecord[]): Promise<void> {
    await this.writes.run(() => {
      const seq = Number(this.insertMessage.run(...messageParams(message)).lastInsertRowid) * 1024;
      records.forEach((record, i) => this.insertQueued.run(...recordParams(record), ...queueParams(message, seq + i)));
    }, 'accept');
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
