// The opt-out list in the admin API (/admin/v1/opt-outs): list and search, add and remove by hand,
// the audit trail, and CSV export and import (to move a list from another provider).
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { errors, type FieldError } from '../../core/errors.js';
import { csvHeader, csvLine, importRows } from '../../core/opt-out/csv.js';
import { OPT_OUT_SCOPES, type OptOutScope } from '../../core/opt-out/keywords.js';
import type { OptOutEntry, OptOutStore } from '../../core/opt-out/opt-out-port.js';
import type { OptOutService } from '../../core/opt-out/opt-out-service.js';
import { isE164 } from '../../core/phone/phone-number.js';
import { optOutDocs } from './opt-out.docs.js';

export interface OptOutRouteDeps {
  service: OptOutService;
  store: OptOutStore;
}

const MAX_IMPORT_BYTES = 32 * 1024 * 1024;
const MAX_IMPORT_ROWS = 200_000;
const EXPORT_PAGE = 1000;

const scopeSchema = z.enum(OPT_OUT_SCOPES as [OptOutScope, ...OptOutScope[]]);
const e164 = z.string().refine(isE164, { message: 'must be an E.164 number' });
const entrySchema = z.strictObject({ recipient: e164, scope: scopeSchema, scopeKey: z.string().min(1).max(128) });
const importJsonSchema = z.strictObject({ csv: z.string() });

function fieldErrors(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): FieldError[] {
  return issues.map((i) => ({ fieldName: i.path.map(String).join('.') || 'body', description: i.message }));
}

/** The query's string parameters; a repeated or unknown one is a 400 naming it. */
export function queryParams(raw: unknown, allowed: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: FieldError[] = [];
  for (const [key, value] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
    if (!allowed.includes(key)) problems.push({ fieldName: key, description: `unknown parameter; expected one of ${allowed.join(', ')}` });
    else if (typeof value !== 'string') problems.push({ fieldName: key, description: 'must be given once' });
    else out[key] = value;
  }
  if (problems.length > 0) throw errors.validation(problems);
  return out;
}

function integer(value: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw errors.validation([{ fieldName: name, description: `must be an integer from ${min} to ${max}` }]);
  }
  return Number(value);
}

function scopeParam(value: string | undefined): OptOutScope | undefined {
  if (value === undefined) return undefined;
  const parsed = scopeSchema.safeParse(value);
  if (!parsed.success) throw errors.validation([{ fieldName: 'scope', description: `must be one of ${OPT_OUT_SCOPES.join(', ')}` }]);
  return parsed.data;
}

export function showEntry(e: OptOutEntry): Record<string, unknown> {
  return {
    recipient: e.recipient,
    scope: e.scope,
    scopeKey: e.scopeKey,
    accountId: e.accountId,
    keyword: e.keyword,
    source: e.source,
    inboundMessageId: e.inboundMessageId,
    createdAt: new Date(e.createdAt).toISOString(),
  };
}

/**
 * The list's operations, shared by the admin API and the web console. `only`, when given, is the one
 * account the caller may see and change: a scope of another account is treated like one that is not
 * configured, and filters are narrowed to that account.
 */
export class OptOutActions {
  constructor(
    private readonly deps: OptOutRouteDeps,
    private readonly only?: string,
  ) {}

  /** The account of a configured scope the caller may use. */
  private accountOf(scope: OptOutScope, scopeKey: string): string | undefined {
    const accountId = this.deps.service.accountOf(scope, scopeKey);
    return accountId !== undefined && (this.only === undefined || accountId === this.only) ? accountId : undefined;
  }

  /** The same, or a 400 naming `field`. */
  private requireAccountOf(scope: OptOutScope, scopeKey: string, field = 'scopeKey'): string {
    const accountId = this.accountOf(scope, scopeKey);
    if (!accountId) throw errors.validation([{ fieldName: field, description: `no ${scope} '${scopeKey}' is configured` }]);
    return accountId;
  }

  private filters(q: Record<string, string>) {
    if (q.recipient !== undefined && !/^\+?\d{1,15}$/.test(q.recipient)) {
      throw errors.validation([{ fieldName: 'recipient', description: 'must be a number or the start of one (+ and digits)' }]);
    }
    if (this.only !== undefined && q.accountId !== undefined && q.accountId !== this.only) {
      throw errors.validation([{ fieldName: 'accountId', description: `no account '${q.accountId}'` }]);
    }
    return { accountId: this.only ?? q.accountId, scope: scopeParam(q.scope), scopeKey: q.scopeKey, recipientPrefix: q.recipient };
  }

  async list(rawQuery: unknown): Promise<Record<string, unknown>> {
    const q = queryParams(rawQuery, ['accountId', 'scope', 'scopeKey', 'recipient', 'limit', 'offset']);
    const limit = integer(q.limit, 'limit', 1, 1000, 100);
    const offset = integer(q.offset, 'offset', 0, 100_000_000, 0);
    const entries = await this.deps.store.list({ ...this.filters(q), limit: limit + 1, offset });
    return {
      optOuts: entries.slice(0, limit).map(showEntry),
      ...(entries.length > limit && { nextOffset: offset + limit }),
    };
  }

  async add(body: unknown): Promise<{ created: boolean; optOut: Record<string, unknown> | undefined }> {
    const parsed = entrySchema.safeParse(body);
    if (!parsed.success) throw errors.validation(fieldErrors(parsed.error.issues));
    const { recipient, scope, scopeKey } = parsed.data;
    const accountId = this.requireAccountOf(scope, scopeKey);
    const [created] = await this.deps.service.change('opt-out', [{ recipient, scope, scopeKey, accountId, keyword: undefined }], 'admin');
    const [entry] = await this.deps.store.list({ scope, scopeKey, recipient, limit: 1, offset: 0 });
    return { created: created === true, optOut: entry ? showEntry(entry) : undefined };
  }

  async remove(params: unknown): Promise<void> {
    const parsed = entrySchema.safeParse(params);
    if (!parsed.success) throw errors.validation(fieldErrors(parsed.error.issues));
    const { recipient, scope, scopeKey } = parsed.data;
    const notFound = () => errors.notFound(`${recipient} has not opted out of ${scope} '${scopeKey}'`);
    const configured = this.deps.service.accountOf(scope, scopeKey);
    if (this.only !== undefined && configured !== this.only) throw notFound();
    const [removed] = await this.deps.service.change('opt-in', [{ recipient, scope, scopeKey, accountId: configured ?? '', keyword: undefined }], 'admin');
    if (!removed) throw notFound();
  }

  async exportCsv(rawQuery: unknown): Promise<string> {
    const q = queryParams(rawQuery, ['accountId', 'scope', 'scopeKey', 'recipient']);
    const where = this.filters(q);
    let csv = csvHeader();
    for (let offset = 0; ; offset += EXPORT_PAGE) {
      const page = await this.deps.store.list({ ...where, limit: EXPORT_PAGE, offset });
      for (const entry of page) csv += csvLine(entry);
      if (page.length < EXPORT_PAGE) break;
    }
    return csv;
  }

  // text/csv, or JSON {"csv": "…"}; ?scope= and ?scopeKey= fill rows without those columns. Every
  // row is checked before anything is written, and all rows are written in one transaction.
  async importCsv(rawQuery: unknown, body: unknown): Promise<{ rows: number; added: number; existing: number }> {
    const q = queryParams(rawQuery, ['scope', 'scopeKey']);
    let text: string;
    if (typeof body === 'string') text = body;
    else {
      const parsed = importJsonSchema.safeParse(body);
      if (!parsed.success) throw errors.validation(fieldErrors(parsed.error.issues));
      text = parsed.data.csv;
    }
    const { rows, problems } = importRows(text, { scope: scopeParam(q.scope), scopeKey: q.scopeKey });
    if (rows.length > MAX_IMPORT_ROWS) throw errors.badRequest(`at most ${MAX_IMPORT_ROWS} rows per import`);
    const entries = rows.flatMap((row) => {
      if (problems.some((p) => p.line === row.line)) return [];
      const accountId = this.accountOf(row.scope, row.scopeKey);
      if (!accountId) {
        problems.push({ line: row.line, column: 'scopeKey', description: `no ${row.scope} '${row.scopeKey}' is configured` });
        return [];
      }
      return [{ recipient: row.recipient, scope: row.scope, scopeKey: row.scopeKey, accountId, keyword: row.keyword, createdAt: row.createdAt }];
    });
    if (problems.length > 0) {
      problems.sort((a, b) => a.line - b.line);
      throw errors.validation(
        problems.slice(0, 50).map((p) => ({ fieldName: p.line > 0 ? `line ${p.line}: ${p.column}` : p.column, description: p.description })),
      );
    }
    const added = entries.length > 0 ? await this.deps.service.change('opt-out', entries, 'import') : [];
    const count = added.filter(Boolean).length;
    return { rows: entries.length, added: count, existing: entries.length - count };
  }
}

/** CSV bodies (text/csv, text/plain) for the import route, as UTF-8 text. */
export function installCsvParser(app: FastifyInstance): void {
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'buffer', bodyLimit: MAX_IMPORT_BYTES }, (_request, body, done) => {
    if (!isUtf8(body as Buffer)) done(errors.badRequest('The CSV is not valid UTF-8'), undefined);
    else done(null, (body as Buffer).toString('utf8'));
  });
}

export async function optOutRoutes(app: FastifyInstance, deps: OptOutRouteDeps): Promise<void> {
  const actions = new OptOutActions(deps);
  // Only this plugin takes CSV bodies; the rest of the admin API stays JSON only.
  installCsvParser(app);

  app.get('/opt-outs', { config: { openapi: optOutDocs.list } }, async (request) => actions.list(request.query));

  app.post('/opt-outs', { config: { openapi: optOutDocs.add } }, async (request, reply) => {
    const result = await actions.add(request.body);
    return reply.code(result.created ? 201 : 200).send(result);
  });

  app.delete('/opt-outs/:scope/:scopeKey/:recipient', { config: { openapi: optOutDocs.remove } }, async (request, reply) => {
    await actions.remove(request.params);
    return reply.code(204).send();
  });

  app.get('/opt-outs/events', { config: { openapi: optOutDocs.events } }, async (request) => {
    const q = queryParams(request.query, ['accountId', 'recipient', 'limit']);
    if (q.recipient !== undefined && !isE164(q.recipient)) {
      throw errors.validation([{ fieldName: 'recipient', description: 'must be an E.164 number' }]);
    }
    const limit = integer(q.limit, 'limit', 1, 1000, 100);
    return { events: (await deps.store.events({ accountId: q.accountId, recipient: q.recipient, limit })).map((e) => ({ ...e, time: new Date(e.time).toISOString() })) };
  });

  app.get('/opt-outs/export', { config: { openapi: optOutDocs.export } }, async (request, reply) => {
    const csv = await actions.exportCsv(request.query);
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="opt-outs.csv"')
      .send(csv);
  });

  app.post('/opt-outs/import', { bodyLimit: MAX_IMPORT_BYTES, config: { openapi: optOutDocs.import } }, async (request) =>
    actions.importCsv(request.query, request.body),
  );
}
