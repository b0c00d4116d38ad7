// The simulated carrier's pending receipts in SQLite.
import type Database from 'better-sqlite3';
import type { SimulatorStore } from '../../core/ports.js';
import type { GroupCommitter } from './group-commit.js';

export class SqliteSimulator implements SimulatorStore {
  private readonly s;

  constructor(
    db: Database.Database,
    private readonly writes: GroupCommitter,
  ) {
    this.s = {
      schedule: db.prepare(`INSERT INTO simulator_receipts (carrier_message_id, due_at, receipt) VALUES (?, ?, ?)
        ON CONFLICT (carrier_message_id) DO UPDATE SET due_at = excluded.due_at, receipt = excluded.receipt`),
      due: db.prepare(`SELECT carrier_message_id AS carrierMessageId, due_at AS dueAt, receipt FROM simulator_receipts
        WHERE due_at <= ? ORDER BY due_at LIMIT ?`),
      next: db.prepare('SELECT min(due_at) AS dueAt FROM simulator_receipts'),
      delete: db.prepare('DELETE FROM simulator_receipts WHERE carrier_message_id = ?'),
    };
  }

  scheduleReceipt(carrierMessageId: string, dueAt: number, receipt: string): Promise<void> {
    return this.writes.run(() => {
      this.s.schedule.run(carrierMessageId, dueAt, receipt);
    });
  }

  async dueReceipts(now: number, limit: number): Promise<Array<{ carrierMessageId: string; dueAt: number; receipt: string }>> {
    return this.s.due.all(now, limit) as Array<{ carrierMessageId: string; dueAt: number; receipt: string }>;
  }

  async nextReceiptDueAt(): Promise<number | undefined> {
    const row = this.s.next.get() as { dueAt: number | null };
    return row.dueAt ?? undefined;
  }

  deleteReceipt(carrierMessageId: string): Promise<void> {
    return this.writes.run(() => {
      this.s.delete.run(carrierMessageId);
    });
  }
}
