// The config file's accounts as directory rows, and applying them to the store at start-up:
// what the file names is created or updated (only where it differs, so a restart with the same
// file writes nothing); what it does not name is left alone, unless pruning is asked for.
import { createHash } from 'node:crypto';
import type { AccountConfig } from '../../config/schema.js';
import { numberKind } from '../phone/phone-number.js';
import { auditView, omit } from './audit-view.js';
import type {
  AuditRecord,
  DirectoryChanges,
  DirectoryRows,
  DirectoryStore,
  DirectoryWrite,
  EntryKind,
} from './directory-port.js';
import { hashPassword, verifyPassword } from './passwords.js';

export const CONFIG_ACTOR = 'config-file';
const DEFAULT_MAX_BINDS = 4;

const stamps = (time: number) => ({ deleted: false, source: 'config' as const, version: 0, createdAt: time, updatedAt: time });

/**
 * The salt of a password given in plain text in the config: fixed per account and username, so the
 * same password hashes the same wherever the file is applied (a fresh database, another process) and
 * an OAuth2 token, which holds a fingerprint of the hash (http/oauth2/access-tokens.ts), outlives it
 * unless the password changed. Still unique per user, so one guess never tests two users.
 */
export function configPasswordSalt(accountId: string, username: string): Buffer {
  return createHash('sha256').update(`pigeon config password\0${accountId}\0${username}`).digest().subarray(0, 16);
}

/** A plain password becomes a hash unless `existing` already is one of it (so a restart does not re-hash). */
async function hashFor(
  password: string | undefined,
  passwordHash: string | undefined,
  existing: string | undefined,
  salt?: Buffer,
): Promise<string> {
  if (passwordHash !== undefined) return passwordHash;
  if (existing === undefined) return hashPassword(password ?? '', undefined, salt);
  if (await verifyPassword(password ?? '', existing)) return existing;
  // The file overwrites a password set through the API: a fresh salt, so that tokens issued under
  // the file's password before that change (their fingerprint is of the old hash) stay revoked.
  return hashPassword(password ?? '');
}

/** The rows the config's accounts stand for; `current` supplies hashes to keep where the password is unchanged. */
export async function configRows(
  accounts: readonly AccountConfig[],
  time: number,
  current?: { userHash(accountId: string, username: string): string | undefined; smppHash(systemId: string): string | undefined },
): Promise<DirectoryRows> {
  const rows: DirectoryRows = { accounts: [], users: [], applications: [], numbers: [], smppUsers: [] };
  await Promise.all(
    accounts.map(async (account) => {
      const rates = account.throughput?.numbers ?? {};
      rows.accounts.push({ id: account.id, name: undefined, throughput: account.throughput, ...stamps(time) });
      for (const user of account.users) {
        rows.users.push({
          accountId: account.id,
          username: user.username,
          passwordHash: await hashFor(
            user.password,
            user.passwordHash,
            current?.userHash(account.id, user.username),
            configPasswordSalt(account.id, user.username),
          ),
          roles: user.roles ?? ['messaging'],
          enabled: true,
          ...stamps(time),
        });
      }
      for (const app of account.applications) {
        rows.applications.push({
          id: app.id,
          accountId: account.id,
          name: app.name,
          callbackUrl: app.callbackUrl,
          callbackUsername: app.callbackUsername,
          callbackPassword: app.callbackPassword,
          inboundCallbackUrl: undefined,
          smartEncoding: app.smartEncoding ?? false,
          optOut: app.optOut,
          ...stamps(time),
        });
        for (const number of app.numbers) {
          rows.numbers.push({
            number,
            accountId: account.id,
            applicationId: app.id,
            numberType: numberKind(number),
            ratePerSecond: rates[number],
            mms: true,
            ...stamps(time),
          });
        }
      }
      for (const user of account.smppUsers ?? []) {
        rows.smppUsers.push({
          systemId: user.systemId,
          accountId: account.id,
          applicationId: user.applicationId,
          passwordHash: await hashFor(user.password, user.passwordHash, current?.smppHash(user.systemId)),
          maxBinds: user.maxBinds ?? DEFAULT_MAX_BINDS,
          enabled: true,
          ...stamps(time),
        });
      }
    }),
  );
  return rows;
}

const KEYS: Record<EntryKind, (row: Record<string, unknown>) => string> = {
  account: (r) => String(r.id),
  user: (r) => `${String(r.accountId)}/${String(r.username)}`,
  application: (r) => String(r.id),
  number: (r) => String(r.number),
  smppUser: (r) => String(r.systemId),
};
const GROUPS: ReadonlyArray<[EntryKind, keyof DirectoryRows]> = [
  ['account', 'accounts'],
  ['application', 'applications'],
  ['user', 'users'],
  ['number', 'numbers'],
  ['smppUser', 'smppUsers'],
];

export const entryKey = (kind: EntryKind, row: object): string => KEYS[kind](row as Record<string, unknown>);

/** The (kind, key) of every entry the config's accounts name. */
function namedKeys(accounts: readonly AccountConfig[]): Array<[EntryKind, string]> {
  return accounts.flatMap((account): Array<[EntryKind, string]> => [
    ['account', account.id],
    ...account.users.map((u): [EntryKind, string] => ['user', `${account.id}/${u.username}`]),
    ...account.applications.flatMap((app): Array<[EntryKind, string]> => [['application', app.id], ...app.numbers.map((n): [EntryKind, string] => ['number', n])]),
    ...(account.smppUsers ?? []).map((u): [EntryKind, string] => ['smppUser', u.systemId]),
  ]);
}

/** The fields that matter for equality: everything but the stamps (and the source, which follows the writer). */
function content(row: object): string {
  const rest = omit(row, ['version', 'createdAt', 'updatedAt', 'source']);
  return JSON.stringify(Object.keys(rest).sort().map((key) => [key, rest[key]]));
}

/**
 * Applies the config's accounts to the store: creates and updates what differs, prunes what the
 * file does not name when asked. Resolves with the version written, or undefined when nothing differed.
 */
export async function provision(
  store: DirectoryStore,
  accounts: readonly AccountConfig[],
  options: { prune: boolean; now: number },
): Promise<number | undefined> {
  // Without pruning only the entries the file names are read: a directory of a million numbers
  // is not read twice at every start for a file that names a few.
  const snapshot: DirectoryChanges | undefined = options.prune ? await store.snapshot() : undefined;
  const byKey = new Map<string, Record<string, unknown>>();
  if (snapshot) {
    for (const [kind, group] of GROUPS) for (const row of snapshot[group]) byKey.set(`${kind}:${entryKey(kind, row)}`, row as unknown as Record<string, unknown>);
  } else {
    for (const [kind, key] of namedKeys(accounts)) {
      const row = (await store.get(kind as 'account', key)) as unknown as Record<string, unknown> | undefined;
      if (row && !row.deleted) byKey.set(`${kind}:${key}`, row);
    }
  }
  const wanted = await configRows(accounts, options.now, {
    userHash: (a, u) => byKey.get(`user:${a}/${u}`)?.passwordHash as string | undefined,
    smppHash: (s) => byKey.get(`smppUser:${s}`)?.passwordHash as string | undefined,
  });
  const writes: DirectoryWrite[] = [];
  const audit: AuditRecord[] = [];
  const named = new Set<string>();
  for (const [kind, group] of GROUPS) {
    for (const row of wanted[group]) {
      const key = `${kind}:${entryKey(kind, row)}`;
      named.add(key);
      const existing = byKey.get(key);
      if (existing && content(existing) === content(row)) continue;
      writes.push({ kind, row } as DirectoryWrite);
      audit.push({
        actor: CONFIG_ACTOR,
        action: existing ? 'update' : 'create',
        kind,
        key: entryKey(kind, row),
        accountId: String((row as { accountId?: string; id: string }).accountId ?? (row as { id: string }).id),
        before: existing && auditView(existing),
        after: auditView(row),
      });
    }
  }
  if (snapshot) {
    for (const [kind, group] of GROUPS) {
      for (const row of snapshot[group]) {
        const key = `${kind}:${entryKey(kind, row)}`;
        if (named.has(key)) continue;
        writes.push({ kind, row: { ...row, deleted: true, source: 'config' } } as DirectoryWrite);
        audit.push({
          actor: CONFIG_ACTOR,
          action: 'delete',
          kind,
          key: entryKey(kind, row),
          accountId: String((row as { accountId?: string; id: string }).accountId ?? (row as { id: string }).id),
          before: auditView(row),
          after: undefined,
        });
      }
    }
  }
  if (writes.length === 0) return undefined;
  return store.write(writes, audit, options.now);
}
