// An export answered as a stream (core/sandbox/export.ts), shared by the admin API and the console:
// the filters are checked before the first byte, so bad ones are a 400; the body is pulled by the
// socket, so a slow client slows the reads instead of filling memory.
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { errors } from '../../core/errors.js';
import { parseListQuery } from '../../core/messages/list-messages.js';
import type { MessageQuery, Store } from '../../core/ports.js';
import { EXPORT_CONTENT_TYPES, EXPORT_FORMATS, exportMessages, matchingViews, type ExportFormat } from '../../core/sandbox/export.js';

type Filters = Omit<MessageQuery, 'sort' | 'after' | 'offset' | 'limit' | 'countLimit'>;

/** The list API's filters (no default date window), the console's tag and text, and the format. */
export function exportFilters(raw: Record<string, unknown>, now: number): { format: ExportFormat; filters: Filters } {
  const listQuery = { ...raw };
  // Not list filters: the export's own parameters, and paging, which the export does itself.
  for (const name of ['accountId', 'format', 'text', 'tag', 'sort', 'limit', 'pageToken']) delete listQuery[name];
  const { text, tag } = raw;
  const format = raw.format ?? 'ndjson';
  if (typeof format !== 'string' || !(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw errors.validation([{ fieldName: 'format', description: `'format' must be one of ${EXPORT_FORMATS.join(', ')}` }]);
  }
  const { query } = parseListQuery(listQuery, now, 0, Number.MAX_SAFE_INTEGER);
  const filters: Filters & Partial<MessageQuery> = { ...query };
  for (const name of ['sort', 'after', 'offset', 'limit', 'countLimit'] as const) delete filters[name];
  if (typeof text === 'string' && text !== '') filters.text = text.slice(0, 200);
  if (typeof tag === 'string' && tag !== '') filters.tag = tag;
  return { format: format as ExportFormat, filters };
}

export function sendExport(reply: FastifyReply, store: Store, accountId: string, filters: Filters, format: ExportFormat): FastifyReply {
  const chunks = exportMessages(matchingViews(store, accountId, filters), format);
  return reply
    .type(EXPORT_CONTENT_TYPES[format])
    .header('content-disposition', `attachment; filename="messages-${accountId}.${format}"`)
    .send(Readable.from(chunks, { objectMode: false }));
}
