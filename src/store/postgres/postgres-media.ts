// The media store in PostgreSQL: files are BYTEA (at most a few MB each, kept 48 hours). pg sends
// and returns BYTEA as a Buffer; values this size are TOASTed (compressed, stored out of line), so
// the media table's main heap stays small. Each write also keeps the account's total in media_usage,
// in the same transaction, for the quota check.
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
 * Each write of an account's media, quota or not, runs in a transaction that first takes this lock
 * (two int4 keys, "pgmq" and a hash of the account: apart from the other advisory locks' keys; a
 * collision only makes two accounts wait), so the size of the file a write replaces, the account's
 * total in media_usage and the write itself agree. Rows are then locked media first, usage second,
 * as the retention sweep's single statement does, so the two cannot deadlock.
 */
const ACCOUNT_LOCK = named(`SELECT pg_advisory_xact_lock(${0x70676d71}, hashtext($1::text))`);
/** FOR UPDATE: a sweep deleting the row meanwhile is waited for, and then the row is gone (0). */
const REPLACED_SIZE = named('SELECT size FROM media WHERE account_id = $1 AND name = $2 FOR UPDATE');
const USED = named('SELECT bytes FROM media_usage WHERE account_id = $1');
const ADD_USAGE = named(`INSERT INTO media_usage (account_id, bytes) VALUES ($1, $2)
  ON CONFLICT (account_id) DO UPDATE SET bytes = media_usage.bytes + excluded.bytes`);
const DELETE = named('DELETE FROM media WHERE account_id = $1 AND name = $2 RETURNING size');
/** The files and their share of each account's total go in one statement: exactly the rows deleted are subtracted. */
const EXPIRE = named(`WITH gone AS (DELETE FROM media WHERE created_at < $1 RETURNING account_id, size),
  totals AS (SELECT account_id, SUM(size) AS bytes, COUNT(*) AS files FROM gone GROUP BY account_id),
  used AS (UPDATE media_usage u SET bytes = u.bytes - t.bytes FROM totals t WHERE u.account_id = t.account_id)
  SELECT COALESCE(SUM(files), 0)::int AS deleted FROM totals`);
const GET = named('SELECT content_type, cache_control, data, created_at FROM media WHERE account_id = $1 AND name = $2');
const HAS = named('SELECT 1 FROM media WHERE account_id = $1 AND name = $2');
const LIST = named('SELECT name, size FROM media WHERE account_id = $1 AND name > $2 ORDER BY name LIMIT $3');

export class PostgresMedia implements MediaStore {
  constructor(private readonly pool: Pool) {}

  putMedia(media: MediaObject, quotaBytes?: number): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      await run(client, ACCOUNT_LOCK, [media.accountId]);
      const replaced = Number((await run<{ size: number }>(client, REPLACED_SIZE, [media.accountId, media.name])).rows[0]?.size ?? 0);
      const delta = media.data.length - replaced;
      if (quotaBytes !== undefined) {
        const used = Number((await run<{ bytes: string }>(client, USED, [media.accountId])).rows[0]?.bytes ?? 0);
        if (used + delta > quotaBytes) return false;
      }
      await run(client, PUT, [media.accountId, media.name, media.contentType, media.cacheControl ?? null, media.data.length, media.data, media.createdAt]);
      await run(client, ADD_USAGE, [media.accountId, delta]);
      return true;
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

  deleteMedia(accountId: string, name: string): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      await run(client, ACCOUNT_LOCK, [accountId]);
      const row = (await run<{ size: number }>(client, DELETE, [accountId, name])).rows[0];
      if (!row) return false;
      await run(client, ADD_USAGE, [accountId, -Number(row.size)]);
      return true;
    });
  }

  async listMedia(accountId: string, after: string | undefined, limit: number): Promise<MediaInfo[]> {
    // name is COLLATE "C", so '' sorts first and `>` pages in the same byte order as SQLite.
    const { rows } = await run<{ name: string; size: number }>(this.pool, LIST, [accountId, after ?? '', limit]);
    return rows.map((r) => ({ name: r.name, size: Number(r.size) }));
  }

  async deleteMediaCreatedBefore(time: number): Promise<number> {
    const { rows } = await run<{ deleted: number }>(this.pool, EXPIRE, [time]);
    return rows[0]?.deleted ?? 0;
  }
}
