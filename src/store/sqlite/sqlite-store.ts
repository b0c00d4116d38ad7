// The embedded store: one SQLite file in WAL mode through better-sqlite3.
//
// Durability: `synchronous=FULL` by default, so a COMMIT is fsynced before the API answers 202 and
// an accepted message survives a power cut, not just a crash. Group commit (group-commit.ts) keeps
// that affordable under load. `sqlite:PATH?synchronous=normal` trades the last commits on power
// loss (never on a process crash) for fewer fsyncs.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Message, MessageRecord } from '../../core/messages/message.js';
import type { MediaInfo, MediaObject, MessageQuery, Store } from '../../core/ports.js';
import { buildMessageListQuery } from '../sql/message-list-query.js';
import { GroupCommitter } from './group-commit.js';
import { loadMigrations, migrateSqlite } from './migrate.js';

export interface SqliteOptions {
  path: string;
  synchronous?: 'full' | 'normal';
}

interface RecordRow {
  message_id: string;
  account_id: string;
  source_tn: string;
  destination_tn: string;
  status: MessageRecord['messageStatus'];
  direction: MessageRecord['messageDirection'];
  message_type: MessageRecord['messageType'];
  segment_count: number;
  error_code: number;
  receive_time: number;
  carrier_name: string | null;
  message_size: number;
  message_length: number;
  attachment_count: number;
  recipient_count: number;
  calling_a3: string | null;
  called_a3: string | null;
  product: string | null;
  campaign_class: string | null;
  campaign_id: string | null;
  location: string | null;
  bw_latency: number | null;
  carrier_latency: number | null;
}

export function recordFromRow(row: RecordRow): MessageRecord {
  return {
    messageId: row.message_id,
    accountId: row.account_id,
    sourceTn: row.source_tn,
    destinationTn: row.destination_tn,
    messageStatus: row.status,
    messageDirection: row.direction,
    messageType: row.message_type,
    segmentCount: Number(row.segment_count),
    errorCode: Number(row.error_code),
    receiveTime: Number(row.receive_time),
    carrierName: row.carrier_name,
    messageSize: Number(row.message_size),
    messageLength: Number(row.message_length),
    attachmentCount: Number(row.attachment_count),
    recipientCount: Number(row.recipient_count),
    callingNumberCountryA3: row.calling_a3,
    calledNumberCountryA3: row.called_a3,
    product: row.product,
    campaignClass: row.campaign_class,
    campaignId: row.campaign_id,
    location: row.location,
    bwLatency: row.bw_latency === null ? null : Number(row.bw_latency),
    carrierLatency: row.carrier_latency === null ? null : Number(row.carrier_latency),
  };
}

export function parseSqliteUrl(url: string): SqliteOptions {
  const rest = url.slice('sqlite:'.length);
  const [path = '', query = ''] = rest.split('?', 2);
  const synchronous = new URLSearchParams(query).get('synchronous');
  if (synchronous !== null && synchronous !== 'full' && synchronous !== 'normal') {
    throw new Error(`DATABASE_URL: synchronous must be 'full' or 'normal', not '${synchronous}'`);
  }
  return { path, synchronous: synchronous ?? 'full' };
}

const MIGRATIONS = new URL('./migrations/', import.meta.url);

export class SqliteStore implements Store {
  readonly db: Database.Database;
  private readonly accepts: GroupCommitter<{ message: Message; records: readonly MessageRecord[] }>;
  private readonly statements;

  constructor(options: SqliteOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    migrateSqlite(this.db, loadMigrations(MIGRATIONS));

    const db = this.db;
    this.statements = {
      insertMessage: db.prepare(`INSERT INTO messages (id, account_id, application_id, direction, owner, from_tn,
          to_json, text, media_json, tag, priority, expiration, expires_at, segment_count, message_type, created_at)
        VALUES (@id, @accountId, @applicationId, @direction, @owner, @from, @toJson, @text, @mediaJson, @tag,
          @priority, @expiration, @expiresAt, @segmentCount, @type, @time)`),
      insertRecord: db.prepare(`INSERT INTO message_recipients (message_id, destination_tn, account_id, source_tn,
          direction, message_type, status, error_code, carrier_name, segment_count, message_size, message_length,
          attachment_count, recipient_count, calling_a3, called_a3, product, campaign_class, campaign_id, location,
          bw_latency, carrier_latency, receive_time, updated_at)
        VALUES (@messageId, @destinationTn, @accountId, @sourceTn, @messageDirection, @messageType, @messageStatus,
          @errorCode, @carrierName, @segmentCount, @messageSize, @messageLength, @attachmentCount, @recipientCount,
          @callingNumberCountryA3, @calledNumberCountryA3, @product, @campaignClass, @campaignId, @location,
          @bwLatency, @carrierLatency, @receiveTime, @receiveTime)`),
      enqueue: db.prepare(`INSERT INTO delivery_queue (message_id, destination_tn, account_id, source_tn, priority,
          segment_count, enqueued_at, run_at, expires_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      putMedia: db.prepare(`INSERT INTO media (account_id, name, content_type, cache_control, size, data, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (account_id, name) DO UPDATE SET content_type = excluded.content_type,
          cache_control = excluded.cache_control, size = excluded.size, data = excluded.data,
          created_at = excluded.created_at`),
      getMedia: db.prepare('SELECT * FROM media WHERE account_id = ? AND name = ?'),
      hasMedia: db.prepare('SELECT 1 FROM media WHERE account_id = ? AND name = ?'),
      deleteMedia: db.prepare('DELETE FROM media WHERE account_id = ? AND name = ?'),
      listMedia: db.prepare('SELECT name, size FROM media WHERE account_id = ? AND name > ? ORDER BY name LIMIT ?'),
      expireMedia: db.prepare('DELETE FROM media WHERE created_at < ?'),
    };
    this.accepts = new GroupCommitter(db, ({ message, records }) => this.insertOutbound(message, records));
  }

  private insertOutbound(message: Message, records: readonly MessageRecord[]): void {
    const s = this.statements;
    s.insertMessage.run({
      ...message,
      toJson: JSON.stringify(message.to),
      mediaJson: message.media ? JSON.stringify(message.media) : null,
      text: message.text ?? null,
      tag: message.tag ?? null,
      expiration: message.expiration ?? null,
      expiresAt: message.expiresAt ?? null,
    });
    const priority = message.priority === 'high' ? 0 : 1;
    for (const record of records) {
      s.insertRecord.run(record);
      s.enqueue.run(
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
  }

  acceptOutbound(message: Message, records: readonly MessageRecord[]): Promise<void> {
    return this.accepts.submit({ message, records });
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

  async putMedia(media: MediaObject): Promise<void> {
    this.statements.putMedia.run(
      media.accountId,
      media.name,
      media.contentType,
      media.cacheControl ?? null,
      media.data.length,
      media.data,
      media.createdAt,
    );
  }

  async getMedia(accountId: string, name: string): Promise<MediaObject | undefined> {
    const row = this.statements.getMedia.get(accountId, name) as
      | { content_type: string; cache_control: string | null; data: Buffer; created_at: number }
      | undefined;
    if (!row) return undefined;
    return {
      accountId,
      name,
      contentType: row.content_type,
      cacheControl: row.cache_control ?? undefined,
      data: row.data,
      createdAt: row.created_at,
    };
  }

  async hasMedia(accountId: string, name: string): Promise<boolean> {
    return this.statements.hasMedia.get(accountId, name) !== undefined;
  }

  async deleteMedia(accountId: string, name: string): Promise<boolean> {
    return this.statements.deleteMedia.run(accountId, name).changes > 0;
  }

  async listMedia(accountId: string, after: string | undefined, limit: number): Promise<MediaInfo[]> {
    return this.statements.listMedia.all(accountId, after ?? '', limit) as MediaInfo[];
  }

  async deleteMediaCreatedBefore(time: number): Promise<number> {
    return this.statements.expireMedia.run(time).changes;
  }

  async close(): Promise<void> {
    this.accepts.flush();
    this.db.close();
  }
}
