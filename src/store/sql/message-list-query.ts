// Turns a MessageQuery into SQL over `message_recipients`. Shared by every engine: only the
// placeholder syntax differs (`?` in SQLite, `$n` in PostgreSQL), so it is passed in.
import type { MessageQuery, PageCursor, SortField, TnFilter } from '../../core/ports.js';

const COLUMNS: Record<SortField, string> = {
  messageId: 'message_id',
  accountId: 'account_id',
  sourceTn: 'source_tn',
  destinationTn: 'destination_tn',
  messageStatus: 'status',
  messageDirection: 'direction',
  messageType: 'message_type',
  segmentCount: 'segment_count',
  errorCode: 'error_code',
  receiveTime: 'receive_time',
  carrierName: 'carrier_name',
  messageSize: 'message_size',
  messageLength: 'message_length',
  attachmentCount: 'attachment_count',
  recipientCount: 'recipient_count',
  campaignClass: 'campaign_class',
  campaignId: 'campaign_id',
  bwLatency: 'bw_latency',
  carrierLatency: 'carrier_latency',
  callingNumberCountryA3: 'calling_a3',
  calledNumberCountryA3: 'called_a3',
  product: 'product',
  location: 'location',
};

// The sort fields whose column may be NULL. SQLite puts NULLs first in ascending order and last in
// descending order; PostgreSQL does the opposite by default. The list must page identically on both
// engines, so on PostgreSQL the first ORDER BY term says where NULLs go when its column can hold them
// (only there: on NOT NULL columns the clause would only stop PostgreSQL from using an index for the
// order), and the keyset condition below follows SQLite's placement on both.
const NULLABLE_SORT: ReadonlySet<SortField> = new Set<SortField>([
  'carrierName',
  'callingNumberCountryA3',
  'calledNumberCountryA3',
  'product',
  'campaignClass',
  'campaignId',
  'location',
  'bwLatency',
  'carrierLatency',
]);

/** '+' and at least 10 digits: a prefix this long is taken for a whole number (NANP numbers are '+1' and 10 digits). */
const WHOLE_NUMBER_LENGTH = 11;

export interface SqlFragment {
  /** The filters; for a page after a position, also the keyset condition. */
  where: string;
  /** The filters alone, for the count. */
  countWhere: string;
  countParams: unknown[];
  orderBy: string;
  params: unknown[];
}

export interface ListSqlDialect {
  placeholder: (index: number) => string;
  /** Say where NULLs go in ORDER BY (PostgreSQL), the way SQLite places them by default. */
  explicitNulls?: boolean;
  /** Add a byte-order range to a number prefix's LIKE, so an index serves it (SQLite, BINARY collation). */
  prefixRange?: boolean;
  /** Read the tag's messages once as an array (PostgreSQL), not as a semi-join. */
  tagArray?: boolean;
  /** The LIKE that ignores case: PostgreSQL's ILIKE (SQLite's LIKE already ignores ASCII case). */
  ilike?: boolean;
}

export function buildMessageListQuery(accountId: string, q: MessageQuery, dialect: ListSqlDialect): SqlFragment {
  const { placeholder } = dialect;
  const params: unknown[] = [];
  const clauses: string[] = [];
  const bind = (value: unknown) => {
    params.push(value);
    return placeholder(params.length);
  };
  const equal = (column: string, value: unknown) => {
    if (value !== undefined) clauses.push(`${column} = ${bind(value)}`);
  };
  const range = (column: string, op: '>=' | '<=', value: number | undefined) => {
    if (value !== undefined) clauses.push(`${column} ${op} ${bind(value)}`);
  };
  const tn = (column: string, filter: TnFilter | undefined) => {
    if (!filter) return;
    if ('prefix' in filter) {
      // Partial numbers are digits and '+' only (checked by the caller), so LIKE needs no escaping.
      clauses.push(`${column} LIKE ${bind(`${filter.prefix}%`)}`);
      // SQLite never uses an index for LIKE on a BINARY column (its LIKE ignores case), so a whole
      // number, which few records match, would scan the account's records newest first until it
      // found a page: the same prefix as a range of the number's index instead. Only for a whole
      // number: a short prefix ('+1919') matches many records, which the time index finds at once,
      // while its range would read every one of them to sort them. Numbers are '+' and digits, and
      // ':' follows '9' in byte order. (PostgreSQL turns the LIKE into that range itself where the
      // collation allows it, and weighs the range with its statistics.)
      if (dialect.prefixRange && filter.prefix.length >= WHOLE_NUMBER_LENGTH) {
        clauses.push(`${column} >= ${bind(filter.prefix)} AND ${column} < ${bind(`${filter.prefix}:`)}`);
      }
    } else {
      clauses.push(`${column} IN (${filter.exact.map(bind).join(', ')})`);
    }
  };

  equal('account_id', accountId);
  equal('message_id', q.messageId);
  if (q.tag !== undefined) {
    const tagged = `SELECT id FROM messages WHERE account_id = ${bind(accountId)} AND tag = ${bind(q.tag)}`;
    // PostgreSQL would rather walk the account's records newest first and look up each one's message
    // (seconds on a million records when the tag is rare); an array is read once, through the tag index.
    clauses.push(dialect.tagArray ? `message_id = ANY(ARRAY(${tagged}))` : `message_id IN (${tagged})`);
  }
  if (q.text !== undefined) {
    // A scan of the account's messages: a search, not a hot path (README: What it shows).
    const like = `%${q.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const op = dialect.ilike ? 'ILIKE' : 'LIKE';
    clauses.push(`message_id IN (SELECT id FROM messages WHERE account_id = ${bind(accountId)} AND text ${op} ${bind(like)} ESCAPE '\\')`);
  }
  tn('source_tn', q.sourceTn);
  tn('destination_tn', q.destinationTn);
  equal('status', q.messageStatus);
  equal('direction', q.messageDirection);
  equal('carrier_name', q.carrierName);
  equal('message_type', q.messageType);
  equal('error_code', q.errorCode);
  equal('campaign_id', q.campaignId);
  equal('product', q.product);
  equal('location', q.location);
  equal('calling_a3', q.callingNumberCountryA3);
  equal('called_a3', q.calledNumberCountryA3);
  range('receive_time', '>=', q.fromTime);
  range('receive_time', '<=', q.toTime);
  range('bw_latency', '>=', q.fromBwLatency);
  range('carrier_latency', '>=', q.fromCarrierLatency);
  range('segment_count', '>=', q.fromSegmentCount);
  range('segment_count', '<=', q.toSegmentCount);
  range('message_size', '>=', q.fromMessageSize);
  range('message_size', '<=', q.toMessageSize);
  // "Queued inside Bandwidth": accepted but not yet handed to a carrier. "Queued at the carrier":
  // handed over, no receipt yet.
  if (q.bwQueued !== undefined) clauses.push(`status ${q.bwQueued ? '' : 'NOT '}IN ('RECEIVED', 'QUEUED')`);
  if (q.carrierQueued !== undefined) clauses.push(`status ${q.carrierQueued ? '' : 'NOT '}IN ('SENDING', 'SENT')`);

  const countWhere = clauses.join(' AND ');
  const countParams = [...params];

  // Read backwards (a previous page) by reversing the order; the caller reverses the rows again.
  const ascending = (q.sort.direction === 'asc') !== (q.after?.backwards ?? false);
  const direction = ascending ? 'ASC' : 'DESC';
  const column = COLUMNS[q.sort.field];
  const nullable = NULLABLE_SORT.has(q.sort.field);
  if (q.after) clauses.push(keyset(column, nullable, ascending, q.after, bind));
  // The tie-breakers make the order total, so paging is stable when many rows share the sort value
  // and a page can start after the last row of the one before (keyset paging).
  const nulls = dialect.explicitNulls && nullable ? (ascending ? ' NULLS FIRST' : ' NULLS LAST') : '';
  // A column appears once: SQLite sorts again for a repeated last term instead of reading the index's order.
  const orderBy = [`${column} ${direction}${nulls}`, ...tieBreakers(column).map(([c]) => `${c} ${direction}`)].join(', ');
  return { where: clauses.join(' AND '), countWhere, countParams, orderBy, params };
}

/** After the sort column, these make the order total: each row has its own (message, recipient). */
const TIE_BREAKERS: ReadonlyArray<readonly [string, (c: PageCursor) => unknown]> = [
  ['receive_time', (c) => c.receiveTime],
  ['message_id', (c) => c.messageId],
  ['destination_tn', (c) => c.destinationTn],
];

function tieBreakers(column: string): ReadonlyArray<readonly [string, (c: PageCursor) => unknown]> {
  return TIE_BREAKERS.filter(([c]) => c !== column);
}

/**
 * Rows strictly after `after` in the order (column, then the tie-breakers), all ascending or all
 * descending, with NULLs of a nullable column first when ascending and last when descending (SQLite's
 * placement, which PostgreSQL is told to follow). Row values keep it one range an index on those
 * columns can seek to.
 */
function keyset(
  column: string,
  nullable: boolean,
  ascending: boolean,
  after: PageCursor,
  bind: (value: unknown) => string,
): string {
  const op = ascending ? '>' : '<';
  const compare = (terms: ReadonlyArray<readonly [string, unknown]>) =>
    `(${terms.map(([c]) => c).join(', ')}) ${op} (${terms.map(([, v]) => bind(v)).join(', ')})`;
  const ties = tieBreakers(column).map(([c, value]) => [c, value(after)] as const);
  if (after.value === null) {
    // Among the NULLs (first when ascending, last when descending): the rest of them, then (ascending) every non-NULL.
    return ascending ? `(${column} IS NOT NULL OR (${column} IS NULL AND ${compare(ties)}))` : `(${column} IS NULL AND ${compare(ties)})`;
  }
  const row = compare([[column, after.value], ...ties]);
  return nullable && !ascending ? `(${row} OR ${column} IS NULL)` : row;
}
