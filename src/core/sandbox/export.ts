// Export: every message of an account that matches the list filters, with its text, media, each
// recipient's status, the event timeline and every callback with its attempts, as NDJSON, JSON or
// CSV (one row per recipient). Streamed: the records are read in pages in (receive time, message,
// recipient) order after the last one read (keyset), then the page's messages with their recipients,
// events and callbacks in a few statements, and nothing is held beyond one page, so memory does
// not grow with the export.
import { viewOf, type MessageView } from '../admin/message-view.js';
import { csvField } from '../opt-out/csv.js';
import type { DeliveryStore, MessageQuery, MessageStore, PageCursor } from '../ports.js';

export const EXPORT_FORMATS = ['ndjson', 'json', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  ndjson: 'application/x-ndjson; charset=utf-8',
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

export const CSV_EXPORT_COLUMNS = [
  'messageId',
  'accountId',
  'applicationId',
  'direction',
  'time',
  'from',
  'recipient',
  'status',
  'errorCode',
  'type',
  'segmentCount',
  'tag',
  'text',
  'media',
  'events',
  'callbacks',
] as const;

const PAGE = 500;

type Filters = Omit<MessageQuery, 'sort' | 'after' | 'offset' | 'limit' | 'countLimit'>;

/** Records of one message the view shows at most, as messageView does. */
const RECIPIENTS_PER_MESSAGE = 100;

/**
 * The views of the matching messages, oldest first, each once (a group's recipients are one
 * message), without the queue (the export leaves it out). A page of records costs a few
 * statements, whatever the number of its messages (DeliveryStore.messageDetails): every recipient's
 * record, not only those the filters matched, then the messages with their events and callbacks.
 */
export async function* matchingViews(
  store: { messages: MessageStore; delivery: DeliveryStore },
  accountId: string,
  filters: Filters,
): AsyncGenerator<MessageView> {
  let after: PageCursor | undefined;
  let last: string | undefined;
  for (;;) {
    const { records } = await store.messages.listMessages(accountId, {
      ...filters,
      sort: { field: 'receiveTime', direction: 'asc' },
      after,
      offset: 0,
      limit: PAGE,
      countLimit: 0,
    });
    const ids: string[] = [];
    for (const record of records) {
      // A message's records are adjacent in this order (same time and id), across pages too.
      if (record.messageId === last) continue;
      last = record.messageId;
      ids.push(record.messageId);
    }
    if (ids.length > 0) {
      const details = new Map((await store.delivery.messageDetails(ids)).map((d) => [d.message.id, d]));
      for (const id of ids) {
        const detail = details.get(id);
        if (detail) yield viewOf({ ...detail, records: detail.records.slice(0, RECIPIENTS_PER_MESSAGE) }, []);
      }
    }
    const end = records.at(-1);
    if (records.length < PAGE || !end) return;
    after = { value: end.receiveTime, receiveTime: end.receiveTime, messageId: end.messageId, destinationTn: end.destinationTn };
  }
}

/** What an export line holds of a view: everything but the queue, which is the moment's work state. */
function exported(view: MessageView): Omit<MessageView, 'queue'> {
  return { message: view.message, recipients: view.recipients, events: view.events, callbacks: view.callbacks };
}

function recipientOf(callbackBody: unknown): string | undefined {
  const first: unknown = Array.isArray(callbackBody) ? callbackBody[0] : undefined;
  const to = first && typeof first === 'object' ? (first as { to?: unknown }).to : undefined;
  return typeof to === 'string' ? to : undefined;
}

/** One CSV row per recipient; events and callbacks of that recipient in one cell each. */
export function csvRows(view: MessageView): string[] {
  const m = view.message;
  return view.recipients.map((r) => {
    const events = view.events
      .filter((e) => e.destinationTn === r.destinationTn)
      .map((e) => `${e.status}${e.errorCode ? ` ${e.errorCode}` : ''} ${e.timeIso}`)
      .join('; ');
    const callbacks = view.callbacks
      .filter((c) => (recipientOf(c.body) ?? r.destinationTn) === r.destinationTn)
      .map((c) => `${c.eventType} ${c.state} ${c.attempts.length} ${c.attempts.length === 1 ? 'attempt' : 'attempts'}${c.attempts.map((a) => ` [${a.statusCode ?? a.error ?? ''}]`).join('')}`)
      .join('; ');
    const cells = [
      m.id,
      m.accountId,
      m.applicationId,
      m.direction,
      m.timeIso,
      m.from,
      r.destinationTn,
      r.messageStatus,
      String(r.errorCode),
      m.type,
      String(m.segmentCount),
      m.tag ?? '',
      m.text ?? '',
      (m.media ?? []).join(' '),
      events,
      callbacks,
    ];
    return `${cells.map(csvField).join(',')}\r\n`;
  });
}

/** The export as chunks of text, ready to stream. */
export async function* exportMessages(views: AsyncIterable<MessageView>, format: ExportFormat): AsyncGenerator<string> {
  if (format === 'csv') yield `${CSV_EXPORT_COLUMNS.join(',')}\r\n`;
  if (format === 'json') yield '{"messages":[';
  let first = true;
  for await (const view of views) {
    if (format === 'csv') yield csvRows(view).join('');
    else if (format === 'ndjson') yield `${JSON.stringify(exported(view))}\n`;
    else {
      yield `${first ? '' : ','}\n${JSON.stringify(exported(view))}`;
      first = false;
    }
  }
  if (format === 'json') yield '\n]}\n';
}
