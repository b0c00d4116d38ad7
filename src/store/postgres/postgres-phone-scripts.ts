// Scripted phones' rules and conversations in PostgreSQL. A match's count and the conversation's
// move are one transaction; the guarded UPDATEs re-check their WHERE after a wait on a row lock,
// so two processes cannot both take a rule's last match or move one conversation twice.
import type { Pool } from 'pg';
import type { MatchTake, PendingAnswer, PhoneConversation, PhoneScriptStore, StoredPhoneRule } from '../../core/sandbox/phone-script-port.js';
import { toDollar } from '../sql/opt-out-rows.js';
import { answerValues, PHONE_SQL, putValues, toPending, type AnswerRow, resetStatement, toConversation, toRule, type ConversationRow, type RuleRow } from '../sql/phone-script-rows.js';
import { storeError } from './errors.js';
import { inTransaction } from './transaction.js';

const LOCK_STEP = 'SELECT step FROM phone_conversations WHERE phone = $1 AND application_number = $2 FOR UPDATE';
const SQL = Object.fromEntries(Object.entries(PHONE_SQL).map(([k, v]) => [k, toDollar(v)])) as typeof PHONE_SQL;

export class PostgresPhoneScripts implements PhoneScriptStore {
  constructor(private readonly pool: Pool) {}

  async listRules(): Promise<StoredPhoneRule[]> {
    return (await this.query<RuleRow>(SQL.list, [])).map(toRule);
  }

  async getRule(id: string): Promise<StoredPhoneRule | undefined> {
    const row = (await this.query<RuleRow>(SQL.get, [id]))[0];
    return row && toRule(row);
  }

  async putRule(rule: StoredPhoneRule): Promise<void> {
    await this.query(SQL.put, putValues(rule));
  }

  async deleteRule(id: string): Promise<boolean> {
    return (await this.pool.query(SQL.delete, [id]).catch((err: unknown) => Promise.reject(storeError(err)))).rowCount === 1;
  }

  takeMatch(take: MatchTake): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      // The conversation is checked (and locked) before the count, so a refusal writes nothing.
      const moves = take.atStep !== undefined && take.toStep !== undefined;
      if (moves) {
        await client.query(SQL.ensureConversation, [take.phone, take.applicationNumber, take.now]);
        const { rows } = await client.query<{ step: number }>(LOCK_STEP, [take.phone, take.applicationNumber]);
        if (rows[0]?.step !== take.atStep) return false;
      }
      if ((await client.query(SQL.count, [take.ruleId])).rowCount === 0) return false;
      if (moves) await client.query(SQL.move, [take.toStep, take.now, take.phone, take.applicationNumber, take.atStep]);
      await client.query(SQL.addAnswer, answerValues(take.answer));
      return true;
    });
  }

  async pendingAnswers(): Promise<PendingAnswer[]> {
    return (await this.query<AnswerRow>(SQL.pendingAnswers, [])).map(toPending);
  }

  async claimAnswer(id: string): Promise<boolean> {
    return (await this.pool.query(SQL.claimAnswer, [id]).catch((err: unknown) => Promise.reject(storeError(err)))).rowCount === 1;
  }

  async conversations(phone?: string): Promise<PhoneConversation[]> {
    const rows = phone === undefined ? await this.query<ConversationRow>(SQL.conversations, []) : await this.query<ConversationRow>(SQL.conversationsOf, [phone]);
    return rows.map(toConversation);
  }

  async resetConversations(phone?: string, applicationNumber?: string): Promise<number> {
    const { sql, values } = resetStatement(phone, applicationNumber);
    return (await this.pool.query(toDollar(sql), values).catch((err: unknown) => Promise.reject(storeError(err)))).rowCount ?? 0;
  }

  private async query<R extends object>(text: string, values: unknown[]): Promise<R[]> {
    try {
      return (await this.pool.query<R & Record<string, unknown>>(text, values)).rows;
    } catch (err) {
      throw storeError(err);
    }
  }
}
