// The directory in the admin API (/admin/v1): accounts, their API users, applications, numbers and
// SMPP users, with paging, number search by prefix, CSV import and export of numbers, and the
// audit trail. The work is core/accounts/directory-admin.ts; this is its HTTP shape.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { type DirectoryAdmin, MAX_PAGE, NUMBER_CSV_COLUMNS, views, type Actor, type Page } from '../../core/accounts/directory-admin.js';
import type { EntryKind } from '../../core/accounts/directory-port.js';
import { errors } from '../../core/errors.js';
import { csvField, parseCsv } from '../../core/opt-out/csv.js';
import { directoryDoc as doc } from './directory.docs.js';
import { installCsvParser, queryParams } from './opt-out.routes.js';

const ADMIN: Actor = { name: 'admin-token' };
const KINDS: readonly EntryKind[] = ['account', 'user', 'application', 'number', 'smppUser'];
const MAX_IMPORT_ROWS = 1_000_000;

type Query = Record<string, string | undefined>;
const query: (raw: unknown, allowed: readonly string[]) => Query = queryParams;

function limitOf(q: Query): number {
  if (q.limit === undefined) return 100;
  if (!/^\d{1,4}$/.test(q.limit) || Number(q.limit) < 1 || Number(q.limit) > MAX_PAGE) {
    throw errors.validation([{ fieldName: 'limit', description: `must be an integer from 1 to ${MAX_PAGE}` }]);
  }
  return Number(q.limit);
}

const show = <T, V>(page: Page<T>, view: (row: T) => V) => ({ items: page.items.map(view), ...(page.next !== undefined && { next: page.next }) });

export async function directoryRoutes(app: FastifyInstance, admin: DirectoryAdmin): Promise<void> {
  installCsvParser(app);
  const params = (request: { params: unknown }) => request.params as Record<string, string>;
  const created = (reply: FastifyReply, body: unknown) => reply.code(201).send(body);
  const gone = (reply: FastifyReply) => reply.code(204).send();

  // Accounts
  app.get('/accounts', { config: { openapi: doc('listAccounts') } }, async (request) => {
    const q = query(request.query, ['limit', 'after']);
    return show(await admin.listAccounts(ADMIN, q.after, limitOf(q)), views.account);
  });
  app.post('/accounts', { config: { openapi: doc('createAccount') } }, async (request, reply) => created(reply, views.account(await admin.createAccount(ADMIN, request.body))));
  app.get('/accounts/:accountId', { config: { openapi: doc('getAccount') } }, async (request) => views.account(await admin.account(ADMIN, params(request).accountId as string)));
  app.patch('/accounts/:accountId', { config: { openapi: doc('updateAccount') } }, async (request) =>
    views.account(await admin.updateAccount(ADMIN, params(request).accountId as string, request.body)),
  );
  app.delete('/accounts/:accountId', { config: { openapi: doc('deleteAccount') } }, async (request, reply) => {
    await admin.deleteAccount(ADMIN, params(request).accountId as string);
    return gone(reply);
  });

  // API users
  app.get('/accounts/:accountId/users', { config: { openapi: doc('listUsers') } }, async (request) => {
    const q = query(request.query, ['limit', 'after']);
    return show(await admin.listUsers(ADMIN, params(request).accountId as string, q.after, limitOf(q)), views.user);
  });
  app.post('/accounts/:accountId/users', { config: { openapi: doc('createUser') } }, async (request, reply) =>
    created(reply, views.user(await admin.createUser(ADMIN, params(request).accountId as string, request.body))),
  );
  app.get('/accounts/:accountId/users/:username', { config: { openapi: doc('getUser') } }, async (request) => {
    const { accountId, username } = params(request);
    return views.user(await admin.user(ADMIN, accountId as string, username as string));
  });
  app.patch('/accounts/:accountId/users/:username', { config: { openapi: doc('updateUser') } }, async (request) => {
    const { accountId, username } = params(request);
    return views.user(await admin.updateUser(ADMIN, accountId as string, username as string, request.body));
  });
  app.delete('/accounts/:accountId/users/:username', { config: { openapi: doc('deleteUser') } }, async (request, reply) => {
    const { accountId, username } = params(request);
    await admin.deleteUser(ADMIN, accountId as string, username as string);
    return gone(reply);
  });

  // Applications
  app.get('/applications', { config: { openapi: doc('listApplications') } }, async (request) => {
    const q = query(request.query, ['accountId', 'limit', 'after']);
    return show(await admin.listApplications(ADMIN, q.accountId, q.after, limitOf(q)), views.application);
  });
  app.post('/applications', { config: { openapi: doc('createApplication') } }, async (request, reply) =>
    created(reply, views.application(await admin.createApplication(ADMIN, request.body))),
  );
  app.get('/applications/:applicationId', { config: { openapi: doc('getApplication') } }, async (request) =>
    views.application(await admin.application(ADMIN, params(request).applicationId as string)),
  );
  app.patch('/applications/:applicationId', { config: { openapi: doc('updateApplication') } }, async (request) =>
    views.application(await admin.updateApplication(ADMIN, params(request).applicationId as string, request.body)),
  );
  app.delete('/applications/:applicationId', { config: { openapi: doc('deleteApplication') } }, async (request, reply) => {
    await admin.deleteApplication(ADMIN, params(request).applicationId as string);
    return gone(reply);
  });

  // Numbers
  app.get('/numbers', { config: { openapi: doc('listNumbers') } }, async (request) => {
    const q = query(request.query, ['accountId', 'applicationId', 'prefix', 'limit', 'after']);
    return show(await admin.listNumbers(ADMIN, q, limitOf(q)), views.number);
  });
  app.post('/numbers', { config: { openapi: doc('createNumber') } }, async (request, reply) => {
    const { row, created: isNew } = await admin.addNumber(ADMIN, request.body);
    return reply.code(isNew ? 201 : 200).send(views.number(row));
  });
  app.get('/numbers/export', { config: { openapi: doc('exportNumbers') } }, async (request, reply) => {
    const q = query(request.query, ['accountId', 'applicationId', 'prefix']);
    const lines = [`${NUMBER_CSV_COLUMNS.join(',')}\r\n`];
    for await (const page of admin.exportNumbers(ADMIN, q)) for (const row of page) lines.push(`${row.map(csvField).join(',')}\r\n`);
    return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="numbers.csv"').send(lines.join(''));
  });
  app.post('/numbers/import', { bodyLimit: 64 * 1024 * 1024, config: { openapi: doc('importNumbers') } }, async (request) => {
    if (typeof request.body !== 'string') throw errors.unsupportedContentType(String(request.headers['content-type']));
    let rows: string[][];
    try {
      rows = parseCsv(request.body);
    } catch (err) {
      throw errors.validation([{ fieldName: 'body', description: (err as Error).message }]);
    }
    if (rows.length > MAX_IMPORT_ROWS + 1) throw errors.validation([{ fieldName: 'body', description: `at most ${MAX_IMPORT_ROWS} rows per import` }]);
    return admin.importNumbers(ADMIN, rows);
  });
  app.get('/numbers/:number', { config: { openapi: doc('getNumber') } }, async (request) => views.number(await admin.number(ADMIN, params(request).number as string)));
  app.patch('/numbers/:number', { config: { openapi: doc('updateNumber') } }, async (request) =>
    views.number(await admin.updateNumber(ADMIN, params(request).number as string, request.body)),
  );
  app.delete('/numbers/:number', { config: { openapi: doc('deleteNumber') } }, async (request, reply) => {
    await admin.releaseNumber(ADMIN, params(request).number as string);
    return gone(reply);
  });

  // SMPP users
  app.get('/smpp-users', { config: { openapi: doc('listSmppUsers') } }, async (request) => {
    const q = query(request.query, ['accountId', 'limit', 'after']);
    return show(await admin.listSmppUsers(ADMIN, q.accountId, q.after, limitOf(q)), views.smppUser);
  });
  app.post('/smpp-users', { config: { openapi: doc('createSmppUser') } }, async (request, reply) => created(reply, views.smppUser(await admin.createSmppUser(ADMIN, request.body))));
  app.get('/smpp-users/:systemId', { config: { openapi: doc('getSmppUser') } }, async (request) => views.smppUser(await admin.smppUser(ADMIN, params(request).systemId as string)));
  app.patch('/smpp-users/:systemId', { config: { openapi: doc('updateSmppUser') } }, async (request) =>
    views.smppUser(await admin.updateSmppUser(ADMIN, params(request).systemId as string, request.body)),
  );
  app.delete('/smpp-users/:systemId', { config: { openapi: doc('deleteSmppUser') } }, async (request, reply) => {
    await admin.deleteSmppUser(ADMIN, params(request).systemId as string);
    return gone(reply);
  });

  // Audit
  app.get('/audit', { config: { openapi: doc('listAudit') } }, async (request) => {
    const q = query(request.query, ['kind', 'key', 'accountId', 'before', 'limit']);
    if (q.kind !== undefined && !KINDS.includes(q.kind as EntryKind)) throw errors.validation([{ fieldName: 'kind', description: `must be one of ${KINDS.join(', ')}` }]);
    if (q.before !== undefined && !/^\d{1,15}$/.test(q.before)) throw errors.validation([{ fieldName: 'before', description: 'must be an audit id' }]);
    const entries = await admin.audit(ADMIN, { kind: q.kind as EntryKind | undefined, key: q.key, accountId: q.accountId, before: q.before === undefined ? undefined : Number(q.before) }, limitOf(q));
    return { items: entries.map(views.audit) };
  });
}
