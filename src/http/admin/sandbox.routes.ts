// The sandbox's admin routes, open to the admin token and to an account's own API users
// (account-or-admin-auth.ts): waiting for the next message that matches (GET /messages/next) and
// the export of an account's messages (GET /messages/export).
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { FailedAttempts } from '../../core/accounts/failed-attempts.js';
import type { Authenticator } from '../../core/accounts/authenticator.js';
import type { AccountDirectory } from '../../core/accounts/directory.js';
import { messageView } from '../../core/admin/message-view.js';
import { ApiError, errors } from '../../core/errors.js';
import type { FeedPosition, Store } from '../../core/ports.js';
import { lookForNext, type NextMessageFilter } from '../../core/sandbox/next-message.js';
import { exportFilters, sendExport } from './export-stream.js';
import { compilePattern, PatternError, type SafePattern } from '../../core/sandbox/safe-pattern.js';
import type { ChangeSignal } from '../../shared/change-signal.js';
import type { OpenApiCatalog } from '../openapi/openapi-catalog.js';
import { accountOrAdminAuth } from './account-or-admin-auth.js';
import { sandboxDocs as docs } from './sandbox.docs.js';

export interface SandboxDeps {
  store: Store;
  directory: AccountDirectory;
  authenticator: Authenticator;
  /** The process's failed sign-in limiter (core/accounts/failed-attempts.ts): both credentials count. */
  signIns: FailedAttempts;
  /** Every change to messages this process hears of (its own writes, and other processes' on PostgreSQL). */
  changes: ChangeSignal | undefined;
  now: () => number;
}

const MAX_WAIT_SECONDS = 300;
/**
 * A look every this often even without a change signal: covers a writer the signal does not reach
 * (a `pigeon send` process beside a server on SQLite). On PostgreSQL and within a process the
 * signal wakes the wait first.
 */
const FALLBACK_LOOK_MS = 2000;
const MAX_FILTER_LENGTH = 64;

type NextQuery = Record<string, string | undefined>;

function parseTime(value: string): number | undefined {
  if (/^\d{1,15}$/.test(value)) return Number(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function parseNumberFilter(name: string, value: string | undefined, bad: Array<{ fieldName: string; description: string }>): string | undefined {
  if (value === undefined) return undefined;
  if (value.length === 0 || value.length > MAX_FILTER_LENGTH) bad.push({ fieldName: name, description: `'${name}' must be a phone number` });
  return value;
}

/** Resolves on the next change signal, after `ms`, or when the client goes away, whichever is first. */
function changeOrTimeout(changes: ChangeSignal | undefined, ms: number, reply: FastifyReply): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      off?.();
      reply.raw.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const off = changes?.on(done);
    reply.raw.once('close', done);
  });
}

export async function sandboxApi(app: FastifyInstance, deps: SandboxDeps, token: string, catalog: OpenApiCatalog): Promise<void> {
  catalog.collect(app);
  app.decorateRequest('scopeAccountId', undefined);
  app.addHook('onRequest', accountOrAdminAuth(token, deps.authenticator, deps.directory, deps.signIns));

  app.get('/messages/next', { config: { openapi: docs.next } }, async (request, reply) => {
    const q = request.query as NextQuery;
    const bad: Array<{ fieldName: string; description: string }> = [];
    const accountId = request.scopeAccountId ?? q.accountId;
    if (accountId !== undefined && !deps.directory.account(accountId)) throw errors.notFound(`No account '${accountId}'`);
    const direction = q.direction;
    if (direction !== undefined && direction !== 'in' && direction !== 'out') bad.push({ fieldName: 'direction', description: "'direction' must be in or out" });
    const from = parseNumberFilter('from', q.from, bad);
    const to = parseNumberFilter('to', q.to, bad);
    let text: SafePattern | undefined;
    if (q.text !== undefined) {
      try {
        text = compilePattern(q.text);
      } catch (err) {
        if (!(err instanceof PatternError)) throw err;
        bad.push({ fieldName: 'text', description: err.message });
      }
    }
    const seconds = q.timeout === undefined ? 30 : Number(q.timeout);
    if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_WAIT_SECONDS) {
      bad.push({ fieldName: 'timeout', description: `'timeout' must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}` });
    }
    let after: FeedPosition = { time: deps.now(), id: '' };
    if (q.after !== undefined && q.afterMessage !== undefined) bad.push({ fieldName: 'after', description: "give 'after' or 'afterMessage', not both" });
    else if (q.after !== undefined) {
      const time = parseTime(q.after);
      if (time === undefined) bad.push({ fieldName: 'after', description: "'after' must be an RFC 3339 time or epoch milliseconds" });
      else after = { time, id: '' };
    }
    if (bad.length > 0) throw errors.validation(bad);
    if (q.afterMessage !== undefined) {
      const message = await deps.store.delivery.getMessage(q.afterMessage);
      if (!message || (accountId !== undefined && message.accountId !== accountId)) throw errors.notFound(`No message '${q.afterMessage}'`);
      after = { time: message.time, id: message.id };
    }
    const filter: NextMessageFilter = { accountId, direction: direction as 'in' | 'out' | undefined, from, to, text, after };
    const deadline = Date.now() + seconds * 1000;
    let changed = true;
    // Listening starts before the first look, so a message stored during a look wakes the next one.
    const off = deps.changes?.on(() => (changed = true));
    try {
      for (;;) {
        changed = false;
        const look = await lookForNext(deps.store.messages, filter, deps.now()).catch((err: unknown) => {
          if (err instanceof PatternError) throw errors.validation([{ fieldName: 'text', description: err.message }]);
          throw err;
        });
        if (look.found) {
          const view = await messageView(deps.store, look.found.id, deps.now());
          if (view) return view;
        }
        filter.after = look.resumeAt;
        const left = deadline - Date.now();
        if (left <= 0 || reply.raw.destroyed) throw new ApiError(408, 'timeout', `no matching message within ${seconds} s`);
        if (!changed) await changeOrTimeout(deps.changes, Math.min(left, FALLBACK_LOOK_MS), reply);
      }
    } finally {
      off?.();
    }
  });

  app.get('/messages/export', { config: { openapi: docs.export } }, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const accountId = request.scopeAccountId ?? query.accountId;
    if (typeof accountId !== 'string') throw errors.validation([{ fieldName: 'accountId', description: "'accountId' is required" }]);
    if (!deps.directory.account(accountId)) throw errors.notFound(`No account '${accountId}'`);
    const { format, filters } = exportFilters(query, deps.now());
    return sendExport(reply, deps.store, accountId, filters, format);
  });
}
