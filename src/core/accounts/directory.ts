// Accounts, API users, applications, numbers and SMPP users, indexed in memory for the lookups a
// request needs. The database holds them (directory-port.ts); each thread and process keeps this
// copy current by applying the rows that changed (`apply`), one entry at a time, so a change
// costs what it touches, not a reload. Entries are updated in place: whoever holds an Account or
// Application (an SMPP session, a request in flight) sees the change. Passwords only ever live here
// as scrypt hashes.
import type { AccountConfig } from '../../config/schema.js';
import type {
  AccountRow,
  AccountThroughput,
  ApiUserRow,
  ApplicationRow,
  DirectoryChanges,
  DirectoryLoad,
  DirectoryRows,
  NumberRow,
  SmppUserRow,
} from './directory-port.js';
import { configRows } from './provisioning.js';

export interface ApiUser {
  readonly username: string;
  readonly passwordHash: string;
  readonly canMessage: boolean;
}

export interface Application {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  readonly callbackUrl: string | undefined;
  readonly callbackCredentials: { readonly username: string; readonly password: string } | undefined;
  /** Where message-received callbacks go when set; else callbackUrl. */
  readonly inboundCallbackUrl?: string | undefined;
  readonly numbers: ReadonlySet<string>;
  /** Replace look-alikes of GSM-7 characters in outbound SMS text (core/encoding/smart-encoding.ts). */
  readonly smartEncoding?: boolean;
  /** Numbers of the application that may send SMS only (their Numbers API location has no MMS). */
  readonly smsOnly?: ReadonlySet<string>;
  /**
   * The application's own opt-out settings as stored (core/opt-out/settings.ts), undefined when it
   * has none; a new object with every change, so what was resolved from it can be kept beside it.
   */
  readonly optOut?: unknown;
}

/** An application's credentials for binding to Pigeon over SMPP (src/smpp-server). */
export interface SmppUser {
  readonly systemId: string;
  readonly passwordHash: string;
  readonly accountId: string;
  readonly applicationId: string;
  readonly maxBinds: number;
}

/** Binds one SMPP user may hold at once unless its config says otherwise. */
export const DEFAULT_MAX_BINDS = 4;

export interface Account {
  readonly id: string;
  readonly users: ReadonlyMap<string, ApiUser>;
  readonly applications: ReadonlyMap<string, Application>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
interface LiveApplication extends Mutable<Omit<Application, 'numbers' | 'smsOnly'>> {
  numbers: Set<string>;
  smsOnly: Set<string>;
}
interface LiveAccount {
  readonly id: string;
  readonly users: Map<string, ApiUser>;
  readonly applications: Map<string, LiveApplication>;
  throughput: AccountThroughput | undefined;
}

/** What changed, for those who must act on it (SMPP sessions of a removed user are unbound). */
export interface DirectoryEvent {
  apiUsers: Array<{ accountId: string; username: string }>;
  smppUsers: string[];
}

export class AccountDirectory {
  private readonly accounts = new Map<string, LiveAccount>();
  private readonly applications = new Map<string, LiveApplication>();
  /** Who owns each number; read and changed through owners(), which first indexes what a start-up load left to index. */
  private readonly numberOwners = new Map<string, LiveApplication>();
  /**
   * Applications of a start-up load whose numbers are not in numberOwners yet. Hashing a million
   * numbers into one map is most of what loading them costs, and sends do not need it (an
   * application's own set answers whether it may send from a number), so `fromRows` leaves it to
   * indexOwners: in slices after start (directory-sync.ts), or all at once on the first lookup.
   */
  private unindexed: LiveApplication[] = [];
  private indexedUpTo = 0;
  private readonly numberRates = new Map<string, number>();
  private readonly smppUsers = new Map<string, SmppUser>();
  private readonly listeners = new Set<(event: DirectoryEvent) => void>();
  private ratesSet = 0;
  /** The version of the newest change applied. */
  version = 0;

  /** Hashes plain-text passwords from the config (scrypt, off the event loop) and forgets them. */
  static async fromConfig(accounts: readonly AccountConfig[]): Promise<AccountDirectory> {
    const directory = new AccountDirectory();
    directory.apply({ version: 0, ...(await configRows(accounts, 0)) });
    return directory;
  }

  static fromRows(rows: DirectoryChanges | DirectoryLoad): AccountDirectory {
    const directory = new AccountDirectory();
    // Numbers are most of a large directory: a fresh one takes them without looking for previous
    // owners, from a start-up load as bare strings, one application at a time.
    directory.apply({ ...rows, numbers: [] });
    for (const row of rows.numbers) directory.addNumber(row);
    if ('numbersByApplication' in rows) {
      for (const [applicationId, numbers] of rows.numbersByApplication) {
        const app = directory.applications.get(applicationId);
        if (!app) continue;
        if (app.numbers.size === 0) app.numbers = new Set(numbers);
        else for (const number of numbers) app.numbers.add(number);
        directory.unindexed.push(app);
      }
      for (const [number, rate, applicationId] of rows.numberRates) {
        if (directory.applications.get(applicationId)?.numbers.has(number)) directory.setRate(number, rate);
      }
      for (const [number, applicationId] of rows.smsOnly) {
        const app = directory.applications.get(applicationId);
        if (app?.numbers.has(number)) app.smsOnly.add(number);
      }
    }
    return directory;
  }

  /**
   * Puts the numbers of a start-up load into the map of owners, a whole application at a time,
   * until about `budget` numbers are done; true once none are left.
   */
  indexOwners(budget = Infinity): boolean {
    let done = 0;
    while (this.indexedUpTo < this.unindexed.length && done < budget) {
      const app = this.unindexed[this.indexedUpTo++] as LiveApplication;
      for (const number of app.numbers) this.numberOwners.set(number, app);
      done += app.numbers.size;
    }
    if (this.indexedUpTo < this.unindexed.length) return false;
    this.unindexed = [];
    this.indexedUpTo = 0;
    return true;
  }

  private owners(): Map<string, LiveApplication> {
    if (this.unindexed.length > 0) this.indexOwners();
    return this.numberOwners;
  }

  /** Brings the copy up to date with rows read from the store; rows at or below `version` are old news. */
  apply(changes: DirectoryRows & { version: number }): void {
    const event: DirectoryEvent = { apiUsers: [], smppUsers: [] };
    for (const row of changes.accounts) this.applyAccount(row);
    for (const row of changes.applications) this.applyApplication(row);
    for (const row of changes.users) {
      this.applyUser(row);
      if (row.deleted || !row.enabled) event.apiUsers.push({ accountId: row.accountId, username: row.username });
    }
    for (const row of changes.numbers) this.applyNumber(row);
    for (const row of changes.smppUsers) {
      this.applySmppUser(row);
      event.smppUsers.push(row.systemId);
    }
    this.version = Math.max(this.version, changes.version);
    if (event.apiUsers.length > 0 || event.smppUsers.length > 0) for (const listener of this.listeners) listener(event);
  }

  /** Called after each applied change that removed, disabled or changed users. */
  onChange(listener: (event: DirectoryEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  account(accountId: string): Account | undefined {
    return this.accounts.get(accountId);
  }

  application(accountId: string, applicationId: string): Application | undefined {
    return this.accounts.get(accountId)?.applications.get(applicationId);
  }

  /** The application a number is assigned to, whichever account holds it. */
  ownerOfNumber(number: string): Application | undefined {
    return this.owners().get(number);
  }

  /** The SMPP user of a system_id (unique across accounts, as a bind names no account). */
  smppUser(systemId: string): SmppUser | undefined {
    return this.smppUsers.get(systemId);
  }

  allSmppUsers(): Iterable<SmppUser> {
    return this.smppUsers.values();
  }

  allAccounts(): Iterable<Account> {
    return this.accounts.values();
  }

  /** An account's throughput overrides (README: throughput). */
  throughput(accountId: string): AccountThroughput | undefined {
    return this.accounts.get(accountId)?.throughput;
  }

  /** A number's own rate limit, per second, when it has one. */
  numberRate(number: string): number | undefined {
    return this.numberRates.get(number);
  }

  /** Whether any account or number has a rate of its own above 0. */
  hasOwnRates(): boolean {
    return this.ratesSet > 0;
  }

  private applyAccount(row: AccountRow): void {
    const existing = this.accounts.get(row.id);
    if (row.deleted) {
      if (!existing) return;
      for (const app of existing.applications.values()) this.removeApplication(app);
      this.countRates(existing.throughput, -1);
      this.accounts.delete(row.id);
      return;
    }
    if (existing) {
      this.countRates(existing.throughput, -1);
      existing.throughput = row.throughput;
    } else {
      this.accounts.set(row.id, { id: row.id, users: new Map(), applications: new Map(), throughput: row.throughput });
    }
    this.countRates(row.throughput, 1);
  }

  private countRates(throughput: AccountThroughput | undefined, sign: 1 | -1): void {
    if (!throughput) return;
    const rates = [throughput.perSecond ?? 0, ...Object.values(throughput.numbers ?? {})];
    this.ratesSet += sign * rates.filter((rate) => rate > 0).length;
  }

  private applyApplication(row: ApplicationRow): void {
    const existing = this.applications.get(row.id);
    const account = this.accounts.get(row.accountId);
    if (row.deleted || !account) {
      if (existing) this.removeApplication(existing);
      return;
    }
    const fields = {
      name: row.name,
      callbackUrl: row.callbackUrl,
      callbackCredentials:
        row.callbackUsername && row.callbackPassword ? { username: row.callbackUsername, password: row.callbackPassword } : undefined,
      inboundCallbackUrl: row.inboundCallbackUrl,
      smartEncoding: row.smartEncoding,
      optOut: row.optOut ?? undefined,
    };
    if (existing && existing.accountId === row.accountId) {
      Object.assign(existing, fields);
      return;
    }
    if (existing) this.removeApplication(existing);
    const app: LiveApplication = { id: row.id, accountId: row.accountId, numbers: new Set(), smsOnly: new Set(), ...fields };
    this.applications.set(app.id, app);
    account.applications.set(app.id, app);
  }

  private removeApplication(app: LiveApplication): void {
    const owners = this.owners();
    for (const number of app.numbers) if (owners.get(number) === app) owners.delete(number);
    this.applications.delete(app.id);
    const account = this.accounts.get(app.accountId);
    if (account?.applications.get(app.id) === app) account.applications.delete(app.id);
  }

  private applyUser(row: ApiUserRow): void {
    const account = this.accounts.get(row.accountId);
    if (!account) return;
    if (row.deleted || !row.enabled) {
      account.users.delete(row.username);
      return;
    }
    // A new object, not an update in place: a check that read the old hash compares against it (authenticator.ts).
    account.users.set(row.username, {
      username: row.username,
      passwordHash: row.passwordHash,
      canMessage: row.roles.includes('messaging'),
    });
  }

  private applyNumber(row: NumberRow): void {
    const owners = this.owners();
    const previous = owners.get(row.number);
    if (previous) {
      previous.numbers.delete(row.number);
      previous.smsOnly.delete(row.number);
      owners.delete(row.number);
    }
    if ((this.numberRates.get(row.number) ?? 0) > 0) this.ratesSet--;
    this.numberRates.delete(row.number);
    if (!row.deleted) this.addNumber(row);
  }

  private addNumber(row: NumberRow): void {
    const app = this.applications.get(row.applicationId);
    if (!app) return;
    app.numbers.add(row.number);
    if (row.mms === false) app.smsOnly.add(row.number);
    this.owners().set(row.number, app);
    if (row.ratePerSecond !== undefined) this.setRate(row.number, row.ratePerSecond);
  }

  /** A rate of a number not yet rated. */
  private setRate(number: string, ratePerSecond: number): void {
    this.numberRates.set(number, ratePerSecond);
    if (ratePerSecond > 0) this.ratesSet++;
  }

  private applySmppUser(row: SmppUserRow): void {
    if (row.deleted || !row.enabled) {
      this.smppUsers.delete(row.systemId);
      return;
    }
    this.smppUsers.set(row.systemId, {
      systemId: row.systemId,
      passwordHash: row.passwordHash,
      accountId: row.accountId,
      applicationId: row.applicationId,
      maxBinds: row.maxBinds,
    });
  }
}
