// The media store in PostgreSQL: files are BYTEA (at most a few MB each, kept 48 hours). pg sends
// and returns BYTEA as a Buffer; values this size are TOASTed (compressed, stored out of line), so
// the media table's main heap stays small.
import type { Pool } from 'pg';
import type { MediaInfo, MediaObject, MediaStore } from '../../core/ports.js';
import { named, run } from './statements.js';
import { inTransaction } from './transaction.js';

const PUT = named(`INSERT INTO media (account_id, name, content_type, cache_control, size, data, created_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7)
  ON CONFLICT (account_id, name) DO UPDATE SET content_type = excluded.content_type,
    cache_control = excluded.cache_control, size = excluded.size, data = excluded.data,
    created_at = excluded.created_at`);
/**
 * The same insert, only while the account's other files and this one stay within the quota ($8).
 * Run after QUOTA_LOCK in one transaction: in READ COMMITTED this statement's snapshot is taken
 * after the lock is held, so it sees every upload of the account that committed before.
 */
const PUT_WITHIN_QUOTA = named(`INSERT INTO media (account_id, name, content_type, cache_control, size, data, created_at)
  SELECT $1::text, $2::text, $3::text, $4::text, $5::integer, $6::bytea, $7::bigint
  WHERE (SELECT COALESCE(SUM(size), 0) FROM media WHERE account_id = $1::text AND name <> $2::text) + $5::integer <= $8::bigint
  ON CONFLICT (account_id, name) DO UPDATE SET content_type = excluded.content_type,
    cache_control = excluded.cache_control, size = excluded.size, data = excluded.data,
    created_at = excluded.created_at`);
/**
 * Serialises one account's uploads under a quota until commit. Two int4 keys ("pgmq", account
 * hash), apart from the other advisory locks' keys; a hash collision only makes two accounts wait.
 */
const QUOTA_LOCK = named(`SELECT pg_advisory_xact_lock(${0x70676d71}, hashtext($1::text))`);
const GET = named('SELECT content_type, cache_control, data, created_at FROM media WHERE account_id = $1 AND name = $2');
const HAS = named('SELECT 1 FROM media WHERE account_id = $1 AND name = $2');
const DELETE = named('DELETE FROM media WHERE account_id = $1 AND name = $2');
const LIST = named('SELECT name, size FROM media WHERE account_id = $1 AND name > $2 ORDER BY name LIMIT $3');
const DELETE_BEFORE = named('DELETE FROM media WHERE created_at < $1');

export class PostgresMedia implements MediaStore {
  constructor(private readonly pool: Pool) {}

  async putMedia(media: MediaObject, quotaBytes?: number): Promise<boolean> {
    const values = [media.accountId, media.name, media.contentType, media.cacheControl ?? null, media.data.length, media.data, media.createdAt];
    if (quotaBytes === undefined) {
      await run(this.pool, PUT, values);
      return true;
    }
    return inTransaction(this.pool, async (client) => {
      await run(client, QUOTA_LOCK, [media.accountId]);
      const { rowCount } = await run(client, PUT_WITHIN_QUOTA, [...values, quotaBytes]);
      return (rowCount ?? 0) > 0;
    });
  }

  async getMedia(accountId: string, name: string): Promise<MediaObject | undefined> {
    const { rows } = await run<{
      content_type: string;
      cache_control: string | null;
      data: Buffer;
      created_at: number | string;
    }>(this.pool, GET, [accountId, name]);
    const row = rows[0];
    if (!row) return undefined;
    return {
      accountId,
      name,
      contentType: row.content_type,
      cacheControl: row.cache_control ?? undefined,
      data: row.data,
      createdAt: Number(row.created_at),
    };
  }

  async hasMedia(accountId: string, name: string): Promise<boolean> {
    const { rowCount } = await run(this.pool, HAS, [accountId, name]);
    return (rowCount ?? 0) > 0;
  }

  async deleteMedia(accountId: string, name: string): Promise<boolean> {
    const { rowCount } = await run(this.pool, DELETE, [accountId, name]);
    return (rowCount ?? 0) > 0;
  }

  async listMedia(accountId: string, after: string | undefined, limit: number): Promise<MediaInfo[]> {
    // name is COLLATE "C", so '' sorts first and `>` pages in the same byte order as SQLite.
    const { rows } = await run<{ name: string; size: number }>(this.pool, LIST, [accountId, after ?? '', limit]);
    return rows.map((r) => ({ name: r.name, size: Number(r.size) }));
  }

  async deleteMediaCreatedBefore(time: number): Promise<number> {
    const { rowCount } = await run(this.pool, DELETE_BEFORE, [time]);
    return rowCount ?? 0;
  }
}
