// PostgreSQL-only row helpers: callback columns and multi-row VALUES lists.
export const CALLBACK_COLUMNS = 'message_id, account_id, application_id, event_type, url, body, created_at, run_at, request_id';

export interface CallbackFields {
  messageId: string;
  accountId: string;
  applicationId: string;
  eventType: string;
  url: string;
  body: string;
  requestId?: string;
}

/** Parameters in the column order of CALLBACK_COLUMNS: due at once, created at `time`. */
export function callbackParams(c: CallbackFields, time: number): unknown[] {
  return [c.messageId, c.accountId, c.applicationId, c.eventType, c.url, c.body, time, time, c.requestId ?? null];
}

/**
 * `VALUES ($o+1, …), (…)` for rows of equal width, numbering placeholders from `offset + 1`, with
 * the parameters flattened in the same order. Multi-row VALUES lists let one statement insert all
 * recipients of a message (at most 10 in the core's limits; PostgreSQL allows 65535 parameters).
 */
export function valuesList(rows: readonly unknown[][], offset = 0): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const tuples = rows.map((row) => {
    const placeholders = row.map((value) => {
      params.push(value);
      return `$${offset + params.length}`;
    });
    return `(${placeholders.join(', ')})`;
  });
  return { sql: tuples.join(', '), params };
}
