// CSV of the opt-out list (RFC 4180: comma-separated, double-quoted fields with "" for a quote,
// CRLF or LF line ends), to export it and to import one from another provider.
import { isE164 } from '../phone/phone-number.js';
import { OPT_OUT_SCOPES, normalizeKeyword, type OptOutScope } from './keywords.js';
import type { OptOutEntry } from './opt-out-port.js';

export const CSV_COLUMNS = ['recipient', 'scope', 'scopeKey', 'accountId', 'keyword', 'source', 'createdAt'] as const;

/** One CSV field, quoted where it must be (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

export function csvLine(e: OptOutEntry): string {
  return `${[e.recipient, e.scope, e.scopeKey, e.accountId, e.keyword ?? '', e.source, new Date(e.createdAt).toISOString()].map(csvField).join(',')}\r\n`;
}

/** Rows of fields; throws on an unterminated quote. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let value = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        value += '"';
        i++;
      } else if (c === '"') quoted = false;
      else value += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(value);
      value = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(value);
      rows.push(row);
      row = [];
      value = '';
    } else value += c;
  }
  if (quoted) throw new Error('a quoted field is not closed');
  if (value !== '' || row.length > 0) rows.push([...row, value]);
  // Blank lines carry nothing.
  return rows.filter((r) => !(r.length === 1 && r[0]?.trim() === ''));
}

export interface ImportRow {
  line: number;
  recipient: string;
  scope: OptOutScope;
  scopeKey: string;
  keyword: string | undefined;
  createdAt: number | undefined;
}

export interface ImportProblem {
  line: number;
  column: string;
  description: string;
}

/**
 * The rows of an import. A header line is required; `recipient` is the only required column
 * (`phone`, `number` and `phoneNumber` are taken for it, as other providers name it). `scope` and
 * `scopeKey` come from the row, else from `defaults`. Other columns (`accountId`, `source`) are ignored:
 * the account follows from the scope, and the source of an import is `import`.
 */
export function importRows(
  text: string,
  defaults: { scope?: OptOutScope | undefined; scopeKey?: string | undefined },
): { rows: ImportRow[]; problems: ImportProblem[] } {
  const problems: ImportProblem[] = [];
  let table: string[][];
  try {
    table = parseCsv(text);
  } catch (err) {
    return { rows: [], problems: [{ line: 0, column: 'body', description: (err as Error).message }] };
  }
  const [header, ...body] = table;
  if (!header) return { rows: [], problems: [{ line: 1, column: 'header', description: 'the CSV is empty; a header line is required' }] };
  const names = header.map((h) => h.trim().toLowerCase());
  const find = (...candidates: string[]) => names.findIndex((n) => candidates.includes(n));
  const col = {
    recipient: find('recipient', 'phone', 'phonenumber', 'phone_number', 'number'),
    scope: find('scope'),
    scopeKey: find('scopekey', 'scope_key'),
    keyword: find('keyword'),
    createdAt: find('createdat', 'created_at'),
  };
  if (col.recipient < 0) {
    return { rows: [], problems: [{ line: 1, column: 'header', description: "no 'recipient' column" }] };
  }
  const rows: ImportRow[] = [];
  body.forEach((cells, index) => {
    const line = index + 2;
    const cell = (i: number) => (i >= 0 ? (cells[i] ?? '').trim() : '');
    const problem = (column: string, description: string) => problems.push({ line, column, description });
    const recipient = cell(col.recipient);
    if (!isE164(recipient)) problem('recipient', `'${recipient}' is not an E.164 number`);
    const scope = cell(col.scope) || defaults.scope;
    if (!scope || !(OPT_OUT_SCOPES as readonly string[]).includes(scope)) {
      problem('scope', scope ? `'${scope}' is not one of ${OPT_OUT_SCOPES.join(', ')}` : 'missing (give the column or ?scope=)');
    }
    const scopeKey = cell(col.scopeKey) || defaults.scopeKey;
    if (!scopeKey) problem('scopeKey', 'missing (give the column or ?scopeKey=)');
    const created = cell(col.createdAt);
    const createdAt = created === '' ? undefined : Date.parse(created);
    if (createdAt !== undefined && !Number.isFinite(createdAt)) problem('createdAt', `'${created}' is not a date`);
    const keyword = cell(col.keyword);
    rows.push({
      line,
      recipient,
      scope: scope as OptOutScope,
      scopeKey: scopeKey ?? '',
      keyword: keyword === '' ? undefined : normalizeKeyword(keyword),
      createdAt,
    });
  });
  return { rows, problems };
}
