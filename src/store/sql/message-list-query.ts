// Turns a MessageQuery into SQL over `message_recipients`. Shared by every engine: only the
// placeholder syntax differs (`?` in SQLite, `$n` in PostgreSQL), so it is passed in.
import type { MessageQuery, SortField, TnFilter } from '../../core/ports.js';

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

export interface SqlFragment {
  where: string;
  orderBy: string;
  params: unknown[];
}

export function buildMessageListQuery(
  accountId: string,
  q: MessageQuery,
  placeholder: (index: number) => string,
): SqlFragment {
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
    } else {
      clauses.push(`${column} IN (${filter.exact.map(bind).join(', ')})`);
    }
  };

  equal('account_id', accountId);
  equal('message_id', q.messageId);
  if (q.tag !== undefined) {
    clauses.push(`message_id IN (SELECT id FROM messages WHERE account_id = ${bind(accountId)} AND tag = ${bind(q.tag)})`);
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

  const direction = q.sort.direction === 'asc' ? 'ASC' : 'DESC';
  // The tie-breakers make paging stable when many rows share the sort value.
  const orderBy = `${COLUMNS[q.sort.field]} ${direction}, receive_time ${direction}, message_id ${direction}, destination_tn ${direction}`;
  return { where: clauses.join(' AND '), orderBy, params };
}
