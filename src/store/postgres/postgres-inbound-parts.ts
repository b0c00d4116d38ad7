// Parts of long inbound SMS (SMPP) in PostgreSQL, until the last part is in.
import type { Pool } from 'pg';
import type { InboundPartStore } from '../../core/ports.js';
import { named, run } from './statements.js';

// One statement: the CTE inserts, and the outer SELECT reads the stored parts plus the new one
// (a CTE's insert is not visible to its own statement's reads).
const ADD = named(`WITH added AS (
    INSERT INTO inbound_parts (carrier, message_key, sequence, total, text, received_at)
    VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING sequence, text)
  SELECT sequence, text FROM inbound_parts WHERE carrier = $1 AND message_key = $2
  UNION SELECT sequence, text FROM added ORDER BY sequence`);
const DELETE = named('DELETE FROM inbound_parts WHERE carrier = $1 AND message_key = $2');
const DROP_OLD = named(`WITH old AS (SELECT carrier, message_key FROM inbound_parts WHERE (carrier LIKE 'esme:%') = $2
    GROUP BY carrier, message_key HAVING min(received_at) < $1),
  gone AS (DELETE FROM inbound_parts p USING old WHERE p.carrier = old.carrier AND p.message_key = old.message_key)
  SELECT count(*) AS n FROM old`);

export class PostgresInboundParts implements InboundPartStore {
  constructor(private readonly pool: Pool) {}

  async addPart(part: Parameters<InboundPartStore['addPart']>[0]): Promise<Array<{ sequence: number; text: string }>> {
    const { rows } = await run<{ sequence: number; text: string }>(this.pool, ADD, [
      part.carrier,
      part.messageKey,
      part.sequence,
      part.total,
      part.text,
      part.receivedAt,
    ]);
    return rows.map((r) => ({ sequence: Number(r.sequence), text: r.text }));
  }

  async deleteMessage(carrier: string, messageKey: string): Promise<void> {
    await run(this.pool, DELETE, [carrier, messageKey]);
  }

  async dropBefore(time: number, fromEsmes: boolean): Promise<number> {
    const { rows } = await run<{ n: number | string }>(this.pool, DROP_OLD, [time, fromEsmes]);
    return Number(rows[0]?.n ?? 0);
  }
}
