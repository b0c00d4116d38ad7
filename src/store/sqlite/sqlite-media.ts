// The media store in SQLite: files are BLOBs (at most a few MB each, kept 48 hours). Each write also
// keeps the account's total in media_usage, in the same transaction, for the quota check.
import type Database from 'better-sqlite3';
import type { MediaInfo, MediaObject, MediaStore } from '../../core/ports.js';
import type { GroupCommitter } from './group-commit.js';

export class SqliteMedia implements MediaStore {
  private readonly statements;

  // Writes go through the group committer so that a 204 also means the file is on disk, and so that
  // nothing comes between a quota check and its write (the batch holds the write lock).
  constructor(
    db: Database.Database,
    private readonly writes: GroupCommitter,
  ) {
    this.statements = {
      put: db.prepare(`INSERT INTO media (account_id, name, content_type, cache_control, size, data, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (account_id, name) DO UPDATE SET content_type = excluded.content_type,
          cache_control = excluded.cache_control, size = excluded.size, data = excluded.data,
          created_at = excluded.created_at`),
      size: db.prepare('SELECT size FROM media WHERE account_id = ? AND name = ?'),
      used: db.prepare('SELECT bytes FROM media_usage WHERE account_id = ?'),
      addUsage: db.prepare(`INSERT INTO media_usage (account_id, bytes) VALUES (?, ?)
        ON CONFLICT (account_id) DO UPDATE SET bytes = bytes + excluded.bytes`),
      get: db.prepare('SELECT * FROM media WHERE account_id = ? AND name = ?'),
      has: db.prepare('SELECT 1 FROM media WHERE account_id = ? AND name = ?'),
      delete: db.prepare('DELETE FROM media WHERE account_id = ? AND name = ? RETURNING size'),
      list: db.prepare('SELECT name, size FROM media WHERE account_id = ? AND name > ? ORDER BY name LIMIT ?'),
      expireUsage: db.prepare(`UPDATE media_usage SET bytes = bytes -
          (SELECT SUM(size) FROM media WHERE media.account_id = media_usage.account_id AND created_at < @time)
        WHERE account_id IN (SELECT account_id FROM media WHERE created_at < @time)`),
      expire: db.prepare('DELETE FROM media WHERE created_at < ?'),
    };
  }

  putMedia(media: MediaObject, quotaBytes?: number): Promise<boolean> {
    return this.writes.run(() => {
      const replaced = (this.statements.size.get(media.accountId, media.name) as { size: number } | undefined)?.size ?? 0;
      const delta = media.data.length - replaced;
      if (quotaBytes !== undefined) {
        const used = (this.statements.used.get(media.accountId) as { bytes: number } | undefined)?.bytes ?? 0;
        if (used + delta > quotaBytes) return false;
      }
      this.statements.put.run(
        media.accountId,
        media.name,
        media.contentType,
        media.cacheControl ?? null,
        media.data.length,
        media.data,
        media.createdAt,
      );
      this.statements.addUsage.run(media.accountId, delta);
      return true;
    });
  }

  async getMedia(accountId: string, name: string): Promise<MediaObject | undefined> {
    const row = this.statements.get.get(accountId, name) as
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
    return this.statements.has.get(accountId, name) !== undefined;
  }

  deleteMedia(accountId: string, name: string): Promise<boolean> {
    return this.writes.run(() => {
      const row = this.statements.delete.get(accountId, name) as { size: number } | undefined;
      if (!row) return false;
      this.statements.addUsage.run(accountId, -row.size);
      return true;
    });
  }

  async listMedia(accountId: string, after: string | undefined, limit: number): Promise<MediaInfo[]> {
    return this.statements.list.all(accountId, after ?? '', limit) as MediaInfo[];
  }

  deleteMediaCreatedBefore(time: number): Promise<number> {
    return this.writes.run(() => {
      this.statements.expireUsage.run({ time });
      return this.statements.expire.run(time).changes;
    });
  }
}
