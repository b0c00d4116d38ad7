// Parts of long inbound SMS (SMPP) in SQLite, until the last part is in.
import type Database from 'better-sqlite3';
import type { InboundPartStore } from '../../core/ports.js';
import type { GroupCommitter } from './group-commit.js';

export class SqliteInboundParts implements InboundPartStore {
  private readonly s;

  constructor(
    db: Database.Database,
    private readonly writes: GroupCommitter,
  ) {
    this.s = {
      insert: db.prepare(`INSERT OR IGNORE INTO inbound_parts (carrier, message_key, sequence, total, text, received_at)
        VALUES (?, ?, ?, ?, ?, ?)`),
      parts: db.prepare('SELECT sequence, text FROM inbound_parts WHERE carrier = ? AND message_key = ? ORDER BY sequence'),
      delete: db.prepare('DELETE FROM inbound_parts WHERE carrier = ? AND message_key = ?'),
      old: db.prepare(`DELETE FROM inbound_parts WHERE (carrier, message_key) IN
        (SELECT carrier, message_key FROM inbound_parts WHERE (carrier LIKE 'esme:%') = ?
          GROUP BY carrier, message_key HAVING min(received_at) < ?)`),
      oldCount: db.prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM inbound_parts WHERE (carrier LIKE 'esme:%') = ?
        GROUP BY carrier, message_key HAVING min(received_at) < ?)`),
    };
  }

  addPart(part: Parameters<InboundPartStore['addPart']>[0]): Promise<Array<{ sequence: number; text: string }>> {
    return this.writes.run(() => {
      this.s.insert.run(part.carrier, part.messageKey, part.sequence, part.total, part.text, part.receivedAt);
      return this.s.parts.all(part.carrier, part.messageKey) as Array<{ sequence: number; text: string }>;
    });
  }

  deleteMessage(carrier: string, messageKey: string): Promise<void> {
    return this.writes.run(() => {
      this.s.delete.run(carrier, messageKey);
    });
  }

  dropBefore(time: number, fromEsmes: boolean): Promise<number> {
    const esme = fromEsmes ? 1 : 0;
    return this.writes.run(() => {
      const { n } = this.s.oldCount.get(esme, time) as { n: number };
      if (n > 0) this.s.old.run(esme, time);
      return n;
    });
  }
}
