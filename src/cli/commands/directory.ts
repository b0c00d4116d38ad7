// `pigeon accounts|users|applications|numbers|smpp-users list|show|add|set|remove` and
// `pigeon numbers import|export FILE.csv`: the directory of a running Pigeon, through its admin API.
import { readFile, writeFile } from 'node:fs/promises';
import { adminRequest, type AdminTarget } from '../admin-client.js';
import { CliError } from '../cli-error.js';

export interface DirectoryFlags {
  account?: string | undefined;
  application?: string | undefined;
  id?: string | undefined;
  name?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  passwordHash?: string | undefined;
  roles?: string | undefined;
  enabled?: string | undefined;
  callbackUrl?: string | undefined;
  callbackUsername?: string | undefined;
  callbackPassword?: string | undefined;
  inboundCallbackUrl?: string | undefined;
  /** An application's opt-out settings as JSON, or `none`. */
  optOut?: string | undefined;
  prefix?: string | undefined;
  rate?: string | undefined;
  systemId?: string | undefined;
  maxBinds?: string | undefined;
  limit?: string | undefined;
  after?: string | undefined;
  json: boolean;
}

interface Noun {
  /** The collection's path; users live under their account. */
  path(flags: DirectoryFlags): string;
  /** Columns of a list line. */
  columns: readonly string[];
  /** Query parameters of `list`. */
  filters(flags: DirectoryFlags): Record<string, string | undefined>;
  /** The body of `add` (with the positional key, where the noun takes one) and of `set`. */
  body(flags: DirectoryFlags, key: string | undefined, creating: boolean): Record<string, unknown>;
}

const e = encodeURIComponent;

function needAccount(flags: DirectoryFlags): string {
  if (!flags.account) throw new CliError('users: --account is required', 2);
  return flags.account;
}

function bool(value: string | undefined, flag: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new CliError(`--${flag} must be true or false`, 2);
}

function num(value: string | undefined, flag: string): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'none') return null;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new CliError(`--${flag} must be a number (or none)`, 2);
  return n;
}

/** Keys whose flag was not given are left out, so `set` changes only what was named; "none" clears. */
function defined(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined).map(([k, v]) => [k, v === 'none' ? null : v]));
}

/** A JSON object flag: parsed here so that a typo is named before anything is sent; "none" clears. */
function jsonObject(value: string | undefined, flag: string): unknown {
  if (value === undefined || value === 'none') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch (err) {
    throw new CliError(`--${flag} must be JSON (or none): ${(err as Error).message}`, 2);
  }
}

const password = (f: DirectoryFlags) => ({ password: f.password, passwordHash: f.passwordHash });

const NOUNS: Record<string, Noun> = {
  accounts: {
    path: () => '/accounts',
    columns: ['id', 'name', 'source', 'createdAt'],
    filters: () => ({}),
    body: (f, key, creating) => defined({ ...(creating && { id: key ?? f.id }), name: f.name }),
  },
  users: {
    path: (f) => `/accounts/${e(needAccount(f))}/users`,
    columns: ['username', 'roles', 'enabled', 'source', 'updatedAt'],
    filters: () => ({}),
    body: (f, key, creating) =>
      defined({
        ...(creating && { username: key ?? f.username }),
        ...password(f),
        roles: f.roles === undefined ? undefined : f.roles === 'none' ? [] : f.roles.split(','),
        enabled: bool(f.enabled, 'enabled'),
      }),
  },
  applications: {
    path: () => '/applications',
    columns: ['id', 'accountId', 'name', 'callbackUrl', 'source'],
    filters: (f) => ({ accountId: f.account }),
    body: (f, _key, creating) =>
      defined({
        ...(creating && { id: f.id, accountId: f.account }),
        name: f.name,
        callbackUrl: f.callbackUrl,
        callbackUsername: f.callbackUsername,
        callbackPassword: f.callbackPassword,
        inboundCallbackUrl: f.inboundCallbackUrl,
        optOut: jsonObject(f.optOut, 'opt-out'),
      }),
  },
  numbers: {
    path: () => '/numbers',
    columns: ['number', 'accountId', 'applicationId', 'numberType', 'ratePerSecond'],
    filters: (f) => ({ accountId: f.account, applicationId: f.application, prefix: f.prefix }),
    body: (f, key, creating) => defined({ ...(creating && { number: key }), applicationId: f.application, ratePerSecond: num(f.rate, 'rate') }),
  },
  'smpp-users': {
    path: () => '/smpp-users',
    columns: ['systemId', 'accountId', 'applicationId', 'maxBinds', 'enabled'],
    filters: (f) => ({ accountId: f.account }),
    body: (f, key, creating) =>
      defined({
        ...(creating && { systemId: key ?? f.systemId }),
        applicationId: f.application,
        ...password(f),
        maxBinds: num(f.maxBinds, 'max-binds') ?? undefined,
        enabled: bool(f.enabled, 'enabled'),
      }),
  },
};

function query(params: Record<string, string | undefined>): string {
  const given = Object.entries(params).filter((p): p is [string, string] => p[1] !== undefined);
  return given.length > 0 ? `?${new URLSearchParams(given).toString()}` : '';
}

function line(row: Record<string, unknown>, columns: readonly string[]): string {
  return `${columns.map((c) => (row[c] === undefined ? '-' : Array.isArray(row[c]) ? (row[c] as unknown[]).join(',') : String(row[c]))).join('\t')}\n`;
}

export async function directoryCommand(
  target: AdminTarget,
  nounName: string,
  action: string | undefined,
  args: readonly string[],
  flags: DirectoryFlags,
  out: NodeJS.WritableStream,
): Promise<number> {
  const noun = NOUNS[nounName] as Noun;
  const key = args[0];
  const one = () => {
    if (!key) throw new CliError(`${nounName} ${action ?? ''}: name the entry (${noun.columns[0]})`, 2);
    return `${noun.path(flags)}/${e(key)}`;
  };
  const print = (result: unknown) => {
    if (flags.json) out.write(`${JSON.stringify(result, null, 2)}\n`);
    else if (result !== undefined) out.write(line(result as Record<string, unknown>, noun.columns));
  };
  switch (action) {
    case 'list': {
      const result = (await adminRequest(target, 'GET', `${noun.path(flags)}${query({ ...noun.filters(flags), limit: flags.limit, after: flags.after })}`)) as {
        items: Array<Record<string, unknown>>;
        next?: string;
      };
      if (flags.json) out.write(`${JSON.stringify(result, null, 2)}\n`);
      else {
        for (const row of result.items) out.write(line(row, noun.columns));
        if (result.next !== undefined) out.write(`(more: --after ${result.next})\n`);
      }
      return 0;
    }
    case 'show':
      if (flags.json) print(await adminRequest(target, 'GET', one()));
      else out.write(`${JSON.stringify(await adminRequest(target, 'GET', one()), null, 2)}\n`);
      return 0;
    case 'add':
      print(await adminRequest(target, 'POST', noun.path(flags), noun.body(flags, key, true)));
      return 0;
    case 'set':
      print(await adminRequest(target, 'PATCH', one(), noun.body(flags, key, false)));
      return 0;
    case 'remove':
      await adminRequest(target, 'DELETE', one());
      if (flags.json) print({ removed: key });
      else out.write(`removed ${key}\n`);
      return 0;
    case 'export':
    case 'import': {
      if (nounName !== 'numbers') break;
      if (!key) throw new CliError(`numbers ${action}: name the CSV file`, 2);
      if (action === 'export') {
        await writeFile(key, (await adminRequest(target, 'GET', `/numbers/export${query(noun.filters(flags))}`)) as string);
        out.write(`wrote ${key}\n`);
        return 0;
      }
      const csv = await readFile(key, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new CliError(`numbers import: cannot read ${key}: ${err.code ?? err.message}`);
      });
      const result = await adminRequest(target, 'POST', '/numbers/import', csv, 'text/csv');
      out.write(`${JSON.stringify(result, null, flags.json ? 2 : undefined)}\n`);
      return 0;
    }
    default:
      break;
  }
  const extra = nounName === 'numbers' ? ', remove, import or export' : ' or remove';
  throw new CliError(`${nounName}: unknown action '${action ?? ''}'; use list, show, add, set${extra}`, 2);
}
