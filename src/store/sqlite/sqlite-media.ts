// The media store in SQLite: files are BLOBs (at most a few MB each, kept 48 hours).
import type Database from 'better-sqlite3';
import type { MediaInfo, MediaObject, MediaStore } from '../../core/ports.js';
import type { GroupCommitter } from './group-commit.js';

export class SqliteMedia implements MediaStore {
  private readonly statements;

  // Writes go through the group committer so that a 204 also means the file is on disk.
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
      used: db.prepare('SELECT COALESCE(SUM(size), 0) AS used FROM media WHERE account_id = ? AND name <> ?'),
      get: db.prepare('SELECT * FROM media WHERE account_id = ? AND name = ?'),
      has: db.prepare('SELECT 1 FROM media WHERE account_id = ? AND name = ?'),
      delete: db.prepare('DELETE FROM media WHERE account_id = ? AND name = ?'),
      list: db.prepare('SELECT name, size FROM media WHERE account_id = ? AND name > ? ORDER BY name LIMIT ?'),
      expire: db.prepare('DELETE FROM media WHERE created_at < ?'),
    };
  }

  // Inside the batch's write transaction, so no other writer comes between the sum and the insert.
  putMedia(media: MediaObject, quotaBytes?: number): Promise<boolean> {
    return this.writes.run(() => {
      if (quotaBytes !== undefined) {
        const { used } = this.statements.used.get(media.accountId, media.name) as { used: number };
        if (used + media.data.length > quotaBytes) return false;
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
    return this.writes.run(() => this.statements.delete.run(accountId, name).changes > 0);
  }

  async listMedia(accountId: string, after: string | undefined, limit: number): Promise<MediaInfo[]> {
    return this.statements.list.all(accountId, after ?? '', limit) as MediaInfo[];
  }

  deleteMediaCreatedBefore(time: number): Promise<number> {
    return this.writes.run(() => this.statements.expire.run(time).changes);
  }
}
