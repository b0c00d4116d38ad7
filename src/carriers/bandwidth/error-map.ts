// What a refused upstream request means for the recipients: one table, documented in README
// ("Upstream error mapping"). A 4xx is the upstream's final word on this message (sending it again
// gives the same answer), so the recipients fail with the Bandwidth code here. 429, 5xx, timeouts
// and connection errors never reach this table: they are retried without spending an attempt.

/** A 400's field errors name what was wrong; the first field with a code of its own decides. */
const FIELD_CODES: ReadonlyArray<[RegExp, number]> = [
  [/^to/i, 4720], // invalid-destination-address
  [/^from/i, 4740], // invalid-source-address
  [/^media/i, 4410], // media-unavailable
  [/^text/i, 4411], // rejected-message-size-limit-exceeded
  [/^applicationId/i, 4452], // rejected-wrong-application-id
];

export const STATUS_CODES: ReadonlyMap<number, number> = new Map([
  [400, 4750], // destination-rejected-message (no field named)
  [401, 4493], // rejected-unauthorized: the upstream credentials are wrong
  [403, 4403], // rejected-forbidden-from-number: the upstream account may not send this
  [404, 4451], // rejected-wrong-user-id: no such upstream account
  [409, 4750],
  [413, 4411], // rejected-message-size-limit-exceeded
  [415, 4750],
  [422, 4750], // a request the upstream's schema refused
]);

/** Any other 4xx. */
export const OTHER_4XX_CODE = 4750;

export function upstreamErrorCode(status: number, body: unknown): number {
  if (status === 400) {
    const fields = (body as { fieldErrors?: Array<{ fieldName?: unknown }> } | undefined)?.fieldErrors ?? [];
    for (const field of Array.isArray(fields) ? fields : []) {
      const name = typeof field.fieldName === 'string' ? field.fieldName : '';
      const hit = FIELD_CODES.find(([pattern]) => pattern.test(name));
      if (hit) return hit[1];
    }
  }
  return STATUS_CODES.get(status) ?? OTHER_4XX_CODE;
}

/** What the upstream said, short, for the recipient's event detail. */
export function upstreamDetail(status: number, body: unknown): string {
  const b = body as { type?: unknown; description?: unknown; fieldErrors?: Array<{ fieldName?: unknown; description?: unknown }> } | undefined;
  const fields = Array.isArray(b?.fieldErrors) ? b.fieldErrors.map((f) => `${String(f.fieldName)}: ${String(f.description)}`).join('; ') : '';
  const description = typeof b?.description === 'string' ? b.description : '';
  return `upstream answered ${status}${description ? `: ${description}` : ''}${fields ? ` (${fields})` : ''}`.slice(0, 500);
}
