// Scripted phones' rules and conversations in SQLite. Writes go through the group committer, whose
// batch runs synchronously in one transaction: a match's count and move are taken together.
import type Database from 'better-sqlite3';
import type { MatchTake, PendingAnswer, PhoneConversation, PhoneScriptStore, StoredPhoneRule } from '../../core/sandbox/phone-script-port.js';
import { answerValues, PHONE_SQL, putValues, toPending, type AnswerRow, resetStatement, toConversation, toRule, type ConversationRow, type RuleRow } from '../sql/phone-script-rows.js';
import type { GroupCommitter } from './group-commit.js';

const STEP = 'SELECT step FROM phone_conversations WHERE phone = ? AND application_number = ?';

export class SqlitePhoneScripts implements PhoneScriptStore {
  /** Prepared once each: the simulator asks for the rules on every message its handsets take. */
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly writes: GroupCommitter,
  ) {}

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  async listRules(): Promise<StoredPhoneRule[]> {
    return (this.prepare(PHONE_SQL.list).all() as RuleRow[]).map(toRule);
  }

  async getRule(id: string): Promise<StoredPhoneRule | undefined> {
    const row = this.prepare(PHONE_SQL.get).get(id) as RuleRow | undefined;
    return row && toRule(row);
  }

  putRule(rule: StoredPhoneRule): Promise<void> {
    return this.writes.run(() => {
      this.prepare(PHONE_SQL.put).run(...putValues(rule));
    });
  }

  deleteRule(id: string): Promise<boolean> {
    return this.writes.run(() => this.prepare(PHONE_SQL.delete).run(id).changes > 0);
  }

  takeMatch(take: MatchTake): Promise<boolean> {
    return this.writes.run(() => {
      // The conversation is checked before the count, so a refusal writes nothing.
      const moves = take.atStep !== undefined && take.toStep !== undefined;
      if (moves) {
        const row = this.prepare(STEP).get(take.phone, take.applicationNumber) as { step: number } | undefined;
        if ((row?.step ?? 0) !== take.atStep) return false;
      }
      if (this.prepare(PHONE_SQL.count).run(take.ruleId).changes === 0) return false;
      if (moves) {
        this.prepare(PHONE_SQL.ensureConversation).run(take.phone, take.applicationNumber, take.now);
        this.prepare(PHONE_SQL.move).run(take.toStep, take.now, take.phone, take.applicationNumber, take.atStep);
      }
      this.prepare(PHONE_SQL.addAnswer).run(...answerValues(take.answer));
      return true;
    });
  }

  async pendingAnswers(): Promise<PendingAnswer[]> {
    return (this.prepare(PHONE_SQL.pendingAnswers).all() as AnswerRow[]).map(toPending);
  }

  claimAnswer(id: string): Promise<boolean> {
    return this.writes.run(() => this.prepare(PHONE_SQL.claimAnswer).run(id).changes > 0);
  }

  async conversations(phone?: string): Promise<PhoneConversation[]> {
    const rows = phone === undefined ? this.prepare(PHONE_SQL.conversations).all() : this.prepare(PHONE_SQL.conversationsOf).all(phone);
    return (rows as ConversationRow[]).map(toConversation);
  }

  resetConversations(phone?: string, applicationNumber?: string): Promise<number> {
    const { sql, values } = resetStatement(phone, applicationNumber);
    return this.writes.run(() => this.prepare(sql).run(...values).changes);
  }
}
