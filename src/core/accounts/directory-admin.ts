// Managing the directory live: create, change and delete accounts, API users, applications,
// numbers and SMPP users, each change written with its audit record and applied to this thread's
// copy before the caller is answered (the other threads and processes hear of it from the store).
// Validation names each bad field, as Bandwidth does. `scope` limits a caller to one account (a
// console user): entries of other accounts answer 404 like missing ones.
import { randomInt, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { errors, type FieldError } from '../errors.js';
import type { OptOutSettings } from '../opt-out/keywords.js';
import { BUILT_IN_SETTINGS, keywordConflict, mergeOptOut, optOutSchema, type OptOutFileConfig } from '../opt-out/settings.js';
import { numberKind, isE164 } from '../phone/phone-number.js';
import { auditView, MASK } from './audit-view.js';
import type {
  AccountRow,
  ApiUserRow,
  ApplicationRow,
  AuditEntry,
  AuditRecord,
  DirectoryStore,
  DirectoryWrite,
  EntryKind,
  NumberRow,
  SmppUserRow,
} from './directory-port.js';
import { DEFAULT_MAX_BINDS } from './directory.js';
import { hashPassword, isPasswordHash } from './passwords.js';
import { entryKey } from './provisioning.js';

export interface DirectoryAdminDeps {
  store: DirectoryStore;
  /** Brings this thread's directory up to date; awaited after each write. */
  refresh: () => Promise<void>;
  now: () => number;
  /**
   * The global opt-out settings an application's own go over (the config file's), to refuse
   * settings that would put a keyword in two classes; the built-in defaults when absent.
   */
  optOutDefaults?: OptOutSettings;
}

/** Who makes a change, for the audit trail: `admin-token`, `config-file` or `user:<account>/<name>`. */
export interface Actor {
  readonly name: string;
  /** Limits the actor to one account; absent: every account (an admin). */
  readonly scope?: string | undefined;
}

export interface Page<T> {
  items: T[];
  /** The key to pass as `after` for the next page; absent on the last. */
  next: string | undefined;
}

export const MAX_PAGE = 1000;

const accountId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, { message: 'must contain only letters, digits, _ and -' });
const httpUrl = z.string().max(2048).refine((v) => /^https?:\/\//i.test(v) && URL.canParse(v), { message: 'must be an http(s) URL' });
const e164 = z.string().refine(isE164, { message: 'must be an E.164 number such as +19195551212' });
const hash = z.string().refine(isPasswordHash, { message: 'is not a hash produced by `pigeon hash-password`' });
const rate = z.number().min(0).max(1_000_000);
const throughput = z.strictObject({
  perSecond: rate.optional(),
  maxQueueSize: z.number().int().min(0).optional(),
  numbers: z.record(e164, rate).optional(),
});

const accountInput = z.strictObject({ id: accountId.optional(), name: z.string().min(1).max(256).nullable().optional(), throughput: throughput.nullable().optional() });
const accountPatch = accountInput.omit({ id: true });

const username = z.string().min(1).max(256).refine((v) => !v.includes(':'), { message: "must not contain ':'" });
const roles = z.array(z.enum(['messaging']));
const userInput = z.strictObject({
  username,
  password: z.string().min(1).max(1024).optional(),
  passwordHash: hash.optional(),
  roles: roles.optional(),
  enabled: z.boolean().optional(),
});
const userPatch = userInput.omit({ username: true });

const applicationFields = {
  name: z.string().min(1).max(256),
  callbackUrl: httpUrl.nullable().optional(),
  callbackUsername: z.string().min(1).max(1024).nullable().optional(),
  callbackPassword: z.string().min(1).max(1024).nullable().optional(),
  inboundCallbackUrl: httpUrl.nullable().optional(),
  optOut: optOutSchema.nullable().optional(),
  smartEncoding: z.boolean().optional(),
};
const applicationInput = z.strictObject({ id: z.string().min(1).max(128).optional(), accountId, ...applicationFields });
const applicationPatch = z.strictObject({ ...applicationFields, name: applicationFields.name.optional() });

const numberInput = z.strictObject({ number: e164, applicationId: z.string().min(1).max(128), ratePerSecond: rate.nullable().optional() });
const numberPatch = numberInput.omit({ number: true }).partial();

// SMPP 3.4 §5.2.1: system_id at most 15 octets and password 8, each without its NUL.
const systemId = z.string().min(1).max(15).regex(/^[\x21-\x7e]+$/, { message: 'must be printable ASCII without spaces' });
const smppInput = z.strictObject({
  systemId,
  applicationId: z.string().min(1).max(128),
  password: z.string().min(1).max(8).optional(),
  passwordHash: hash.optional(),
  maxBinds: z.number().int().min(1).max(100).optional(),
  enabled: z.boolean().optional(),
});
const smppPatch = smppInput.omit({ systemId: true }).partial();

function fieldErrors(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): FieldError[] {
  return issues.map((i) => ({ fieldName: i.path.map(String).join('.') || 'body', description: i.message }));
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw errors.validation(fieldErrors(result.error.issues));
  return result.data;
}

/** `null` clears a field, absent keeps it. */
const patched = <T>(value: T | null | undefined, current: T | undefined): T | undefined => (value === undefined ? current : (value ?? undefined));

async function passwordOf(input: { password?: string | undefined; passwordHash?: string | undefined }, required: boolean): Promise<string | undefined> {
  if (input.password !== undefined && input.passwordHash !== undefined) {
    throw errors.validation([{ fieldName: 'password', description: 'give password or passwordHash, not both' }]);
  }
  if (input.passwordHash !== undefined) return input.passwordHash;
  if (input.password !== undefined) return hashPassword(input.password);
  if (required) throw errors.validation([{ fieldName: 'password', description: 'password or passwordHash is required' }]);
  return undefined;
}

const iso = (ms: number) => new Date(ms).toISOString();
const stamps = (row: { source: string; createdAt: number; updatedAt: number }) => ({ source: row.source, createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt) });

export const views = {
  account: (r: AccountRow) => ({ id: r.id, name: r.name, throughput: r.throughput, ...stamps(r) }),
  user: (r: ApiUserRow) => ({ accountId: r.accountId, username: r.username, roles: [...r.roles], enabled: r.enabled, ...stamps(r) }),
  application: (r: ApplicationRow) => ({
    id: r.id,
    accountId: r.accountId,
    name: r.name,
    callbackUrl: r.callbackUrl,
    callbackUsername: r.callbackUsername,
    callbackPassword: r.callbackPassword === undefined ? undefined : MASK,
    inboundCallbackUrl: r.inboundCallbackUrl,
    optOut: r.optOut,
    smartEncoding: r.smartEncoding,
    ...stamps(r),
  }),
  number: (r: NumberRow) => ({ number: r.number, accountId: r.accountId, applicationId: r.applicationId, numberType: r.numberType, ratePerSecond: r.ratePerSecond, ...stamps(r) }),
  smppUser: (r: SmppUserRow) => ({ systemId: r.systemId, accountId: r.accountId, applicationId: r.applicationId, maxBinds: r.maxBinds, enabled: r.enabled, ...stamps(r) }),
  audit: (e: AuditEntry) => ({ id: e.id, time: iso(e.time), actor: e.actor, action: e.action, kind: e.kind, key: e.key, accountId: e.accountId, before: e.before, after: e.after }),
};

export const NUMBER_CSV_COLUMNS = ['number', 'applicationId', 'ratePerSecond'] as const;

export class DirectoryAdmin {
  constructor(private readonly deps: DirectoryAdminDeps) {}

  // ---- accounts

  async listAccounts(actor: Actor, after: string | undefined, limit: number): Promise<Page<AccountRow>> {
    return this.page(await this.deps.store.list('account', { accountId: actor.scope, after, limit: limit + 1 }), limit, 'account');
  }

  async account(actor: Actor, id: string): Promise<AccountRow> {
    const row = await this.deps.store.get('account', id);
    if (!row || row.deleted || !this.sees(actor, row.id)) throw errors.notFound(`No account '${id}'`);
    return row;
  }

  async createAccount(actor: Actor, body: unknown): Promise<AccountRow> {
    this.adminOnly(actor);
    const input = parse(accountInput, body);
    const id = input.id ?? (await this.freshAccountId());
    const existing = await this.deps.store.get('account', id);
    if (existing) throw this.taken('id', `account '${id}' ${existing.deleted ? 'existed and was deleted; ids are never reused' : 'exists'}`);
    const row = { id, name: input.name ?? undefined, throughput: input.throughput ?? undefined, deleted: false, source: 'api' as const };
    return this.commitOne(actor, 'account', row, undefined);
  }

  async updateAccount(actor: Actor, id: string, body: unknown): Promise<AccountRow> {
    this.adminOnly(actor);
    const input = parse(accountPatch, body);
    const current = await this.account(actor, id);
    const row = { ...current, name: patched(input.name, current.name), throughput: patched(input.throughput, current.throughput), source: 'api' as const };
    return this.commitOne(actor, 'account', row, current);
  }

  /** Deletes the account and everything in it; its messages stay in the store. */
  async deleteAccount(actor: Actor, id: string): Promise<void> {
    this.adminOnly(actor);
    const current = await this.account(actor, id);
    const writes: DirectoryWrite[] = [];
    const audit: AuditRecord[] = [];
    const gone = <K extends EntryKind>(kind: K, row: object) => {
      writes.push({ kind, row: { ...row, deleted: true, source: 'api' } } as DirectoryWrite);
      audit.push(this.record(actor, 'delete', kind, row, undefined));
    };
    for (const kind of ['user', 'smppUser', 'number', 'application'] as const) {
      for (const row of await this.all(kind, { accountId: id })) gone(kind, row);
    }
    gone('account', current);
    await this.commit(writes, audit);
  }

  // ---- API users

  async listUsers(actor: Actor, accountId: string, after: string | undefined, limit: number): Promise<Page<ApiUserRow>> {
    await this.account(actor, accountId);
    return this.page(await this.deps.store.list('user', { accountId, after: after === undefined ? undefined : `${accountId}/${after}`, limit: limit + 1 }), limit, 'user', (r) => r.username);
  }

  async user(actor: Actor, accountId: string, name: string): Promise<ApiUserRow> {
    await this.account(actor, accountId);
    const row = await this.deps.store.get('user', `${accountId}/${name}`);
    if (!row || row.deleted) throw errors.notFound(`No user '${name}' in account '${accountId}'`);
    return row;
  }

  async createUser(actor: Actor, accountId: string, body: unknown): Promise<ApiUserRow> {
    this.adminOnly(actor);
    await this.account(actor, accountId);
    const input = parse(userInput, body);
    const existing = await this.deps.store.get('user', `${accountId}/${input.username}`);
    if (existing && !existing.deleted) throw this.taken('username', `user '${input.username}' exists in account '${accountId}'`);
    const passwordHash = (await passwordOf(input, true)) as string;
    const row = { accountId, username: input.username, passwordHash, roles: input.roles ?? ['messaging'], enabled: input.enabled ?? true, deleted: false, source: 'api' as const };
    return this.commitOne(actor, 'user', row, undefined);
  }

  /** Changes roles, enabled, or the password (set or rotated: the old one is refused from the next request). */
  async updateUser(actor: Actor, accountId: string, name: string, body: unknown): Promise<ApiUserRow> {
    this.adminOnly(actor);
    const input = parse(userPatch, body);
    const current = await this.user(actor, accountId, name);
    const row = {
      ...current,
      passwordHash: (await passwordOf(input, false)) ?? current.passwordHash,
      roles: input.roles ?? current.roles,
      enabled: input.enabled ?? current.enabled,
      source: 'api' as const,
    };
    return this.commitOne(actor, 'user', row, current);
  }

  async deleteUser(actor: Actor, accountId: string, name: string): Promise<void> {
    this.adminOnly(actor);
    const current = await this.user(actor, accountId, name);
    await this.commitOne(actor, 'user', { ...current, deleted: true, source: 'api' }, current);
  }

  // ---- applications

  async listApplications(actor: Actor, accountId: string | undefined, after: string | undefined, limit: number): Promise<Page<ApplicationRow>> {
    const scope = this.narrow(actor, accountId);
    return this.page(await this.deps.store.list('application', { accountId: scope, after, limit: limit + 1 }), limit, 'application');
  }

  async application(actor: Actor, id: string): Promise<ApplicationRow> {
    const row = await this.deps.store.get('application', id);
    if (!row || row.deleted || !this.sees(actor, row.accountId)) throw errors.notFound(`No application '${id}'`);
    return row;
  }

  async createApplication(actor: Actor, body: unknown): Promise<ApplicationRow> {
    const input = parse(applicationInput, body);
    this.adminOnly(actor);
    await this.account(actor, input.accountId).catch(() => {
      throw errors.validation([{ fieldName: 'accountId', description: `no account '${input.accountId}'` }]);
    });
    const id = input.id ?? randomUUID();
    if (await this.deps.store.get('application', id)) throw this.taken('id', `application id '${id}' is taken; ids are never reused`);
    const row = {
      id,
      accountId: input.accountId,
      name: input.name,
      callbackUrl: input.callbackUrl ?? undefined,
      callbackUsername: input.callbackUsername ?? undefined,
      callbackPassword: input.callbackPassword ?? undefined,
      inboundCallbackUrl: input.inboundCallbackUrl ?? undefined,
      optOut: this.checkOptOut(input.optOut) ?? undefined,
      smartEncoding: input.smartEncoding ?? false,
      deleted: false,
      source: 'api' as const,
    };
    this.checkCredentials(row);
    return this.commitOne(actor, 'application', row, undefined);
  }

  /** An account's user may change its own applications (callback URLs and credentials); the rest is the admin's. */
  async updateApplication(actor: Actor, id: string, body: unknown): Promise<ApplicationRow> {
    const input = parse(applicationPatch, body);
    if (actor.scope !== undefined && (input.name !== undefined || input.optOut !== undefined)) {
      throw errors.validation([{ fieldName: input.name !== undefined ? 'name' : 'optOut', description: 'only an administrator may change this' }]);
    }
    const current = await this.application(actor, id);
    const row = {
      ...current,
      name: input.name ?? current.name,
      callbackUrl: patched(input.callbackUrl, current.callbackUrl),
      callbackUsername: patched(input.callbackUsername, current.callbackUsername),
      callbackPassword: patched(input.callbackPassword, current.callbackPassword),
      inboundCallbackUrl: patched(input.inboundCallbackUrl, current.inboundCallbackUrl),
      optOut: patched(this.checkOptOut(input.optOut), current.optOut),
      smartEncoding: input.smartEncoding ?? current.smartEncoding,
      source: 'api' as const,
    };
    this.checkCredentials(row);
    return this.commitOne(actor, 'application', row, current);
  }

  /** Deletes the application, releasing its numbers and removing its SMPP users. */
  async deleteApplication(actor: Actor, id: string): Promise<void> {
    this.adminOnly(actor);
    const current = await this.application(actor, id);
    const writes: DirectoryWrite[] = [];
    const audit: AuditRecord[] = [];
    for (const kind of ['number', 'smppUser'] as const) {
      for (const row of await this.all(kind, { accountId: current.accountId, applicationId: id })) {
        writes.push({ kind, row: { ...row, deleted: true, source: 'api' } } as DirectoryWrite);
        audit.push(this.record(actor, 'delete', kind, row, undefined));
      }
    }
    writes.push({ kind: 'application', row: { ...current, deleted: true, source: 'api' } });
    audit.push(this.record(actor, 'delete', 'application', current, undefined));
    await this.commit(writes, audit);
  }

  // ---- numbers

  async listNumbers(
    actor: Actor,
    query: { accountId?: string | undefined; applicationId?: string | undefined; prefix?: string | undefined; after?: string | undefined },
    limit: number,
  ): Promise<Page<NumberRow>> {
    const scope = this.narrow(actor, query.accountId);
    if (query.prefix !== undefined && !/^\+?\d{0,15}$/.test(query.prefix)) {
      throw errors.validation([{ fieldName: 'prefix', description: 'must be the start of an E.164 number, such as +1919' }]);
    }
    const prefix = query.prefix === undefined || query.prefix.startsWith('+') ? query.prefix : `+${query.prefix}`;
    const rows = await this.deps.store.list('number', { accountId: scope, applicationId: query.applicationId, prefix, after: query.after, limit: limit + 1 });
    return this.page(rows, limit, 'number');
  }

  async number(actor: Actor, number: string): Promise<NumberRow> {
    const row = await this.deps.store.get('number', number);
    if (!row || row.deleted || !this.sees(actor, row.accountId)) throw errors.notFound(`No number '${number}'`);
    return row;
  }

  /** Assigns a number to an application; one owned by another application is a 409 naming it. */
  async addNumber(actor: Actor, body: unknown): Promise<{ row: NumberRow; created: boolean }> {
    this.adminOnly(actor);
    const input = parse(numberInput, body);
    const app = await this.targetApplication(actor, input.applicationId);
    const current = await this.deps.store.get('number', input.number);
    if (current && !current.deleted) {
      if (current.applicationId !== app.id) throw this.owned(current);
      return { row: current, created: false };
    }
    const row = this.numberRow(input.number, app, input.ratePerSecond ?? undefined);
    return { row: await this.commitOne(actor, 'number', row, undefined), created: true };
  }

  /** Moves a number to another application (`applicationId`) or sets its own rate limit. */
  async updateNumber(actor: Actor, number: string, body: unknown): Promise<NumberRow> {
    this.adminOnly(actor);
    const input = parse(numberPatch, body);
    const current = await this.number(actor, number);
    const app = input.applicationId === undefined ? undefined : await this.targetApplication(actor, input.applicationId);
    const row = {
      ...current,
      accountId: app?.accountId ?? current.accountId,
      applicationId: app?.id ?? current.applicationId,
      ratePerSecond: patched(input.ratePerSecond, current.ratePerSecond),
      source: 'api' as const,
    };
    return this.commitOne(actor, 'number', row, current);
  }

  /** Releases a number: it no longer sends nor receives. */
  async releaseNumber(actor: Actor, number: string): Promise<void> {
    this.adminOnly(actor);
    const current = await this.number(actor, number);
    await this.commitOne(actor, 'number', { ...current, deleted: true, source: 'api' }, current);
  }

  /**
   * Numbers from CSV (`number,applicationId[,ratePerSecond]` with that header): all or nothing; every
   * bad row is named (line and field). A number owned by another application is one of them.
   */
  async importNumbers(actor: Actor, rows: string[][]): Promise<{ created: number; updated: number; unchanged: number }> {
    this.adminOnly(actor);
    const [header, ...lines] = rows;
    const columns = (header ?? []).map((h) => h.trim());
    const at = (name: string) => columns.indexOf(name);
    if (at('number') < 0 || at('applicationId') < 0) {
      throw errors.validation([{ fieldName: 'header', description: `the first line must name the columns: ${NUMBER_CSV_COLUMNS.join(',')}` }]);
    }
    const problems: FieldError[] = [];
    const apps = new Map<string, ApplicationRow | undefined>();
    const seen = new Set<string>();
    const wanted: Array<{ number: string; app: ApplicationRow; rate: number | undefined; line: number }> = [];
    for (const [index, fields] of lines.entries()) {
      const line = index + 2;
      const number = (fields[at('number')] ?? '').trim();
      const applicationId = (fields[at('applicationId')] ?? '').trim();
      const rateText = at('ratePerSecond') < 0 ? '' : (fields[at('ratePerSecond')] ?? '').trim();
      if (!isE164(number)) problems.push({ fieldName: `line ${line}.number`, description: `'${number}' is not an E.164 number` });
      else if (seen.has(number)) problems.push({ fieldName: `line ${line}.number`, description: `${number} appears twice` });
      seen.add(number);
      if (!apps.has(applicationId)) apps.set(applicationId, await this.deps.store.get('application', applicationId));
      const app = apps.get(applicationId);
      if (!app || app.deleted) problems.push({ fieldName: `line ${line}.applicationId`, description: `no application '${applicationId}'` });
      const rate = rateText === '' ? undefined : Number(rateText);
      if (rate !== undefined && !(Number.isFinite(rate) && rate >= 0)) problems.push({ fieldName: `line ${line}.ratePerSecond`, description: 'must be a number of at least 0' });
      if (app && !app.deleted) wanted.push({ number, app, rate, line });
      if (problems.length >= 100) break;
    }
    const existing = new Map((await this.all('number', {})).map((r) => [r.number, r]));
    const writes: DirectoryWrite[] = [];
    const audit: AuditRecord[] = [];
    let created = 0;
    let unchanged = 0;
    for (const { number, app, rate, line } of wanted) {
      const current = existing.get(number);
      if (current && current.applicationId !== app.id) {
        problems.push({ fieldName: `line ${line}.number`, description: this.owned(current).message });
        continue;
      }
      if (current && current.ratePerSecond === rate) {
        unchanged++;
        continue;
      }
      // A rate change keeps what the number was: an SMS-only number of a Numbers API location stays SMS-only.
      const row = { ...this.numberRow(number, app, rate), ...(current?.mms !== undefined && { mms: current.mms }) };
      writes.push({ kind: 'number', row });
      audit.push(this.record(actor, current ? 'update' : 'create', 'number', row, current));
      if (!current) created++;
    }
    if (problems.length > 0) throw errors.validation(problems.slice(0, 100));
    if (writes.length > 0) await this.commit(writes, audit);
    return { created, updated: writes.length - created, unchanged };
  }

  /** Every live number in number order, as CSV lines without their header (`number,applicationId,ratePerSecond`). */
  async *exportNumbers(actor: Actor, query: { accountId?: string; applicationId?: string; prefix?: string }): AsyncGenerator<string[][]> {
    let after: string | undefined;
    for (;;) {
      const page = await this.listNumbers(actor, { ...query, after }, MAX_PAGE);
      yield page.items.map((r) => [r.number, r.applicationId, r.ratePerSecond === undefined ? '' : String(r.ratePerSecond)]);
      if (page.next === undefined) return;
      after = page.next;
    }
  }

  // ---- SMPP users

  async listSmppUsers(actor: Actor, accountId: string | undefined, after: string | undefined, limit: number): Promise<Page<SmppUserRow>> {
    return this.page(await this.deps.store.list('smppUser', { accountId: this.narrow(actor, accountId), after, limit: limit + 1 }), limit, 'smppUser');
  }

  async smppUser(actor: Actor, id: string): Promise<SmppUserRow> {
    const row = await this.deps.store.get('smppUser', id);
    if (!row || row.deleted || !this.sees(actor, row.accountId)) throw errors.notFound(`No SMPP user '${id}'`);
    return row;
  }

  async createSmppUser(actor: Actor, body: unknown): Promise<SmppUserRow> {
    this.adminOnly(actor);
    const input = parse(smppInput, body);
    const app = await this.targetApplication(actor, input.applicationId);
    const existing = await this.deps.store.get('smppUser', input.systemId);
    if (existing && !existing.deleted) throw this.taken('systemId', `SMPP user '${input.systemId}' exists`);
    const row = {
      systemId: input.systemId,
      accountId: app.accountId,
      applicationId: app.id,
      passwordHash: (await passwordOf(input, true)) as string,
      maxBinds: input.maxBinds ?? DEFAULT_MAX_BINDS,
      enabled: input.enabled ?? true,
      deleted: false,
      source: 'api' as const,
    };
    return this.commitOne(actor, 'smppUser', row, undefined);
  }

  async updateSmppUser(actor: Actor, id: string, body: unknown): Promise<SmppUserRow> {
    this.adminOnly(actor);
    const input = parse(smppPatch, body);
    const current = await this.smppUser(actor, id);
    const app = input.applicationId === undefined ? undefined : await this.targetApplication(actor, input.applicationId);
    const row = {
      ...current,
      accountId: app?.accountId ?? current.accountId,
      applicationId: app?.id ?? current.applicationId,
      passwordHash: (await passwordOf(input, false)) ?? current.passwordHash,
      maxBinds: input.maxBinds ?? current.maxBinds,
      enabled: input.enabled ?? current.enabled,
      source: 'api' as const,
    };
    return this.commitOne(actor, 'smppUser', row, current);
  }

  async deleteSmppUser(actor: Actor, id: string): Promise<void> {
    this.adminOnly(actor);
    const current = await this.smppUser(actor, id);
    await this.commitOne(actor, 'smppUser', { ...current, deleted: true, source: 'api' }, current);
  }

  // ---- audit

  async audit(actor: Actor, query: { kind?: EntryKind; key?: string; accountId?: string; before?: number }, limit: number): Promise<AuditEntry[]> {
    return this.deps.store.audit({ ...query, accountId: this.narrow(actor, query.accountId), limit });
  }

  // ---- helpers

  private sees(actor: Actor, accountId: string): boolean {
    return actor.scope === undefined || actor.scope === accountId;
  }

  /** The account filter an actor may use: its own account whatever it asked for. */
  private narrow(actor: Actor, accountId: string | undefined): string | undefined {
    if (actor.scope === undefined) return accountId;
    if (accountId !== undefined && accountId !== actor.scope) throw errors.notFound(`No account '${accountId}'`);
    return actor.scope;
  }

  private adminOnly(actor: Actor): void {
    if (actor.scope !== undefined) throw errors.forbidden();
  }

  private async targetApplication(actor: Actor, id: string): Promise<ApplicationRow> {
    const app = await this.deps.store.get('application', id);
    if (!app || app.deleted || !this.sees(actor, app.accountId)) throw errors.validation([{ fieldName: 'applicationId', description: `no application '${id}'` }]);
    return app;
  }

  private numberRow(number: string, app: ApplicationRow, ratePerSecond: number | undefined) {
    return { number, accountId: app.accountId, applicationId: app.id, numberType: numberKind(number), ratePerSecond, deleted: false, source: 'api' as const };
  }

  private owned(row: NumberRow) {
    return errors.conflict(`number ${row.number} belongs to application '${row.applicationId}' of account '${row.accountId}'`, [
      { fieldName: 'number', description: `owned by application '${row.applicationId}' (account '${row.accountId}')` },
    ]);
  }

  private taken(field: string, description: string) {
    return errors.conflict(description, [{ fieldName: field, description }]);
  }

  private checkCredentials(row: { callbackUsername: string | undefined; callbackPassword: string | undefined }): void {
    if ((row.callbackUsername === undefined) !== (row.callbackPassword === undefined)) {
      throw errors.validation([{ fieldName: row.callbackUsername === undefined ? 'callbackUsername' : 'callbackPassword', description: 'callbackUsername and callbackPassword go together' }]);
    }
  }

  /** Settings that, over the global ones, would put a keyword in two classes are refused, as the config file refuses them. */
  private checkOptOut<T extends OptOutFileConfig | null | undefined>(optOut: T): T {
    if (!optOut) return optOut;
    const conflict = keywordConflict(mergeOptOut(this.deps.optOutDefaults ?? BUILT_IN_SETTINGS, optOut));
    if (conflict) throw errors.validation([{ fieldName: `optOut.${conflict.path}`, description: conflict.message }]);
    return optOut;
  }

  private async freshAccountId(): Promise<string> {
    for (;;) {
      const id = String(randomInt(1_000_000, 10_000_000));
      if (!(await this.deps.store.get('account', id))) return id;
    }
  }

  /** Every live row of a kind under the filters, page after page. */
  private async all<K extends 'user' | 'number' | 'smppUser' | 'application'>(
    kind: K,
    filter: { accountId?: string; applicationId?: string },
  ): Promise<Array<K extends 'user' ? ApiUserRow : K extends 'number' ? NumberRow : K extends 'smppUser' ? SmppUserRow : ApplicationRow>> {
    const out: Array<Record<string, unknown>> = [];
    let after: string | undefined;
    for (;;) {
      const rows = (await this.deps.store.list(kind as 'number', { ...filter, after, limit: 10_000 })) as unknown as Array<Record<string, unknown>>;
      out.push(...rows);
      if (rows.length < 10_000) return out as never;
      after = entryKey(kind, rows[rows.length - 1] as object);
    }
  }

  private page<T extends object>(rows: T[], limit: number, kind: EntryKind, key?: (row: T) => string): Page<T> {
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, next: rows.length > limit && last ? (key ? key(last) : entryKey(kind, last)) : undefined };
  }

  private record(actor: Actor, action: AuditRecord['action'], kind: EntryKind, row: object, before: object | undefined): AuditRecord {
    const accountId = (row as { accountId?: string }).accountId ?? (row as { id: string }).id;
    return {
      actor: actor.name,
      action,
      kind,
      key: entryKey(kind, row),
      accountId,
      before: action === 'create' ? undefined : auditView(before ?? row),
      after: action === 'delete' ? undefined : auditView(row),
    };
  }

  private async commitOne<T extends object>(actor: Actor, kind: EntryKind, row: object, before: object | undefined): Promise<T> {
    const action = (row as { deleted?: boolean }).deleted ? 'delete' : before ? 'update' : 'create';
    await this.commit([{ kind, row } as DirectoryWrite], [this.record(actor, action, kind, row, before)]);
    return (await this.deps.store.get(kind as 'number', entryKey(kind, row))) as unknown as T;
  }

  private async commit(writes: DirectoryWrite[], audit: AuditRecord[]): Promise<void> {
    await this.deps.store.write(writes, audit, this.deps.now());
    await this.deps.refresh();
  }
}
