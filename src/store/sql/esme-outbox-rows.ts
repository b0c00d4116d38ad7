// Rows of esme_outbox (migration 0010) as both engines read them.
import type { EsmeOutboxItem } from '../../core/ports.js';

export interface OutboxRow {
  id: number;
  system_id: string;
  kind: 'receipt' | 'inbound';
  message_id: string;
  part_ids: string;
  source_tn: string;
  destination_tn: string;
  status: string | null;
  error_code: number;
  text: string;
  submitted_at: number;
  done_at: number;
  attempts: number;
}

export function outboxItem(row: OutboxRow): EsmeOutboxItem {
  return {
    id: Number(row.id),
    systemId: row.system_id,
    kind: row.kind,
    messageId: row.message_id,
    partIds: JSON.parse(row.part_ids) as string[],
    sourceTn: row.source_tn,
    destinationTn: row.destination_tn,
    status: row.status ?? undefined,
    errorCode: Number(row.error_code),
    text: row.text,
    submittedAt: Number(row.submitted_at),
    doneAt: Number(row.done_at),
    attempts: Number(row.attempts),
  };
}

export const OUTBOX_COLUMNS = `id, system_id, kind, message_id, part_ids, source_tn, destination_tn, status, error_code, text,
  submitted_at, done_at, attempts`;
