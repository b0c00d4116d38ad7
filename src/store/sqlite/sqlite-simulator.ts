// The simulated carrier's pending receipts in SQLite.
import type Database from 'better-sqlite3';
import type { SimulatorStore } from '../../core/ports.js';
import { sqlitePin } from '../sql/index-pin.js';
import type { GroupCommitter } from './group-commit.js';
import { prepareAll } from './prepare-all.js';

const DUE = sqlitePin('simulator_receipts', 'simulator_receipts_due');

/** The statements of the simulator's receipts; exported for the plan tests (test/store/hot-plans.test.ts). */
export const SIMULATOR_SQL = {
  schedule: `INSERT INTO simulator_receipts (carrier_message_id, due_at, receipt) VALUES (?, ?, ?)
    ON CONFLICT (carrier_message_id) DO UPDATE SET due_at = excluded.due_at, receipt = excluded.receipt`,
  due: `SELECT carrier_message_id AS carrierMessageId, due_at AS dueAt, receipt FROM simulator_receipts ${DUE}
    WHERE due_at <= ? ORDER BY due_at LIMIT ?`,
  next: `SELECT min(due_at) AS dueAt FROM simulator_receipts ${DUE}`,
  delete: `DELETE FROM simulator_receipts ${sqlitePin('simulator_receipts')} WHERE carrier_message_id = ?`,
};

export class SqliteSimulator implements SimulatorStore {
  private readonly s;

  constructor(
    db: Database.Database,
    private readonly writes: GroupCommitter,
  ) {
    this.s = prepareAll(db, SIMULATOR_SQL);
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
