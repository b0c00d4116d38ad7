// How the account directory is kept in the database (store/*/…-directory.ts). Rows carry the
// version of the write that last changed them; `changesSince` reads only what changed, so every
// thread and process keeps its in-memory directory (directory.ts) current at the cost of the change.

export type EntrySource = 'config' | 'api';

export interface AccountThroughput {
  readonly perSecond?: number | undefined;
  readonly maxQueueSize?: number | undefined;
  /** Per sending number, as the config file's `throughput.numbers` gives them. */
  readonly numbers?: Readonly<Record<string, number>> | undefined;
}

interface Stamped {
  readonly deleted: boolean;
  readonly source: EntrySource;
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface AccountRow extends Stamped {
  readonly id: string;
  readonly name: string | undefined;
  readonly throughput: AccountThroughput | undefined;
}

export interface ApiUserRow extends Stamped {
  readonly accountId: string;
  readonly username: string;
  readonly passwordHash: string;
  readonly roles: readonly string[];
  readonly enabled: boolean;
}

export interface ApplicationRow extends Stamped {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  readonly callbackUrl: string | undefined;
  readonly callbackUsername: string | undefined;
  readonly callbackPassword: string | undefined;
  /** Where message-received callbacks go when set; else callbackUrl. */
  readonly inboundCallbackUrl: string | undefined;
  /** The application's own opt-out settings as the config file writes them (core/opt-out/settings.ts). */
  readonly optOut: unknown;
  /** Replace look-alikes of GSM-7 characters in outbound SMS text before counting and sending. */
  readonly smartEncoding: boolean;
}

/** A number; `deleted` once released, keeping the application it last belonged to. */
export interface NumberRow extends Stamped {
  readonly number: string;
  readonly accountId: string;
  readonly applicationId: string;
  readonly numberType: string;
  readonly ratePerSecond: number | undefined;
  /** False: the number's location (Numbers API) has SMS but not MMS, so it sends SMS only. Absent: true. */
  readonly mms?: boolean;
}

export interface SmppUserRow extends Stamped {
  readonly systemId: string;
  readonly accountId: string;
  readonly applicationId: string;
  readonly passwordHash: string;
  readonly maxBinds: number;
  readonly enabled: boolean;
}

export interface DirectoryRows {
  accounts: AccountRow[];
  users: ApiUserRow[];
  applications: ApplicationRow[];
  numbers: NumberRow[];
  smppUsers: SmppUserRow[];
}

/** The rows (deleted ones included for `changesSince`) and the version they reflect. */
export interface DirectoryChanges extends DirectoryRows {
  version: number;
}

/**
 * What a process needs of the directory at start: every live row, except that numbers (nearly all
 * of a large directory) come as plain strings per owning application instead of a row each, and
 * the few with a rate of their own as (number, rate, application); `numbers` is empty.
 */
export interface DirectoryLoad extends DirectoryChanges {
  numbersByApplication: Array<readonly [applicationId: string, numbers: readonly string[]]>;
  numberRates: Array<readonly [number: string, ratePerSecond: number, applicationId: string]>;
  /** Live numbers that may not send MMS (few: Numbers API locations without MMS), with their application. */
  smsOnly: Array<readonly [number: string, applicationId: string]>;
}

export type EntryKind = 'account' | 'user' | 'application' | 'number' | 'smppUser';

type Unstamped<T> = Omit<T, 'version' | 'createdAt' | 'updatedAt'>;

/** One row to write whole (insert or replace); the store stamps version and times. */
export type DirectoryWrite =
  | { kind: 'account'; row: Unstamped<AccountRow> }
  | { kind: 'user'; row: Unstamped<ApiUserRow> }
  | { kind: 'application'; row: Unstamped<ApplicationRow> }
  | { kind: 'number'; row: Unstamped<NumberRow> }
  | { kind: 'smppUser'; row: Unstamped<SmppUserRow> };

export interface AuditRecord {
  readonly actor: string;
  readonly action: 'create' | 'update' | 'delete';
  readonly kind: EntryKind;
  readonly key: string;
  readonly accountId: string | undefined;
  /** The entry as it was and as it is, secrets masked. */
  readonly before: Record<string, unknown> | undefined;
  readonly after: Record<string, unknown> | undefined;
}

export interface AuditEntry extends AuditRecord {
  readonly id: number;
  readonly time: number;
}

export interface ListQuery {
  accountId?: string | undefined;
  applicationId?: string | undefined;
  /** Numbers only: the start of the number. */
  prefix?: string | undefined;
  /** The key of the last entry of the previous page. */
  after?: string | undefined;
  limit: number;
  includeDeleted?: boolean;
}

export interface DirectoryStore {
  /** Every live row and the version they reflect (start-up). */
  snapshot(): Promise<DirectoryChanges>;
  /** What start-up needs, read the cheap way (a million numbers in well under a second). */
  load(): Promise<DirectoryLoad>;
  /** Rows written after `version`, deleted ones included. */
  changesSince(version: number): Promise<DirectoryChanges>;
  /**
   * Writes the rows and their audit records in one transaction under one new version, and tells
   * the other threads and processes; resolves with that version.
   */
  write(writes: readonly DirectoryWrite[], audit: readonly AuditRecord[], time: number): Promise<number>;
  /** One row by its key (deleted ones too); the key of a user is `accountId/username`. */
  get(kind: 'account', key: string): Promise<AccountRow | undefined>;
  get(kind: 'user', key: string): Promise<ApiUserRow | undefined>;
  get(kind: 'application', key: string): Promise<ApplicationRow | undefined>;
  get(kind: 'number', key: string): Promise<NumberRow | undefined>;
  get(kind: 'smppUser', key: string): Promise<SmppUserRow | undefined>;
  list(kind: 'account', query: ListQuery): Promise<AccountRow[]>;
  list(kind: 'user', query: ListQuery): Promise<ApiUserRow[]>;
  list(kind: 'application', query: ListQuery): Promise<ApplicationRow[]>;
  list(kind: 'number', query: ListQuery): Promise<NumberRow[]>;
  list(kind: 'smppUser', query: ListQuery): Promise<SmppUserRow[]>;
  /** Audit records, newest first, optionally of one entry or account; `before` pages by id. */
  audit(query: { kind?: EntryKind; key?: string; accountId?: string; before?: number; limit: number }): Promise<AuditEntry[]>;
}
