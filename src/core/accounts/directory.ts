// Accounts, API users, applications and numbers as declared in the config file, indexed for the
// lookups a request needs. Passwords only ever live here as scrypt hashes.
import type { AccountConfig } from '../../config/schema.js';
import { hashPassword } from './passwords.js';

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
  readonly numbers: ReadonlySet<string>;
  /** Replace look-alikes of GSM-7 characters in outbound SMS text (core/encoding/smart-encoding.ts). */
  readonly smartEncoding?: boolean;
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

export class AccountDirectory {
  private readonly accounts: ReadonlyMap<string, Account>;
  private readonly numberOwners: ReadonlyMap<string, Application>;
  private readonly smppUsers: ReadonlyMap<string, SmppUser>;

  private constructor(accounts: Account[], smppUsers: SmppUser[]) {
    this.accounts = new Map(accounts.map((a) => [a.id, a]));
    this.smppUsers = new Map(smppUsers.map((u) => [u.systemId, u]));
    const owners = new Map<string, Application>();
    for (const account of accounts) {
      for (const app of account.applications.values()) for (const n of app.numbers) owners.set(n, app);
    }
    this.numberOwners = owners;
  }

  /** Hashes plain-text passwords from the config (scrypt, off the event loop) and forgets them. */
  static async fromConfig(accounts: readonly AccountConfig[]): Promise<AccountDirectory> {
    const built = await Promise.all(
      accounts.map(async (account): Promise<Account> => {
        const users = await Promise.all(
          account.users.map(
            async (u): Promise<ApiUser> => ({
              username: u.username,
              passwordHash: u.passwordHash ?? (await hashPassword(u.password ?? '')),
              canMessage: u.roles === undefined || u.roles.includes('messaging'),
            }),
          ),
        );
        const applications = account.applications.map(
          (app): Application => ({
            id: app.id,
            accountId: account.id,
            name: app.name,
            callbackUrl: app.callbackUrl,
            callbackCredentials:
              app.callbackUsername && app.callbackPassword
                ? { username: app.callbackUsername, password: app.callbackPassword }
                : undefined,
            numbers: new Set(app.numbers),
            smartEncoding: app.smartEncoding ?? false,
          }),
        );
        return {
          id: account.id,
          users: new Map(users.map((u) => [u.username, u])),
          applications: new Map(applications.map((a) => [a.id, a])),
        };
      }),
    );
    const smppUsers = (
      await Promise.all(
        accounts.map((account) =>
          Promise.all(
            (account.smppUsers ?? []).map(
              async (u): Promise<SmppUser> => ({
                systemId: u.systemId,
                passwordHash: u.passwordHash ?? (await hashPassword(u.password ?? '')),
                accountId: account.id,
                applicationId: u.applicationId,
                maxBinds: u.maxBinds ?? DEFAULT_MAX_BINDS,
              }),
            ),
          ),
        ),
      )
    ).flat();
    return new AccountDirectory(built, smppUsers);
  }

  account(accountId: string): Account | undefined {
    return this.accounts.get(accountId);
  }

  application(accountId: string, applicationId: string): Application | undefined {
    return this.accounts.get(accountId)?.applications.get(applicationId);
  }

  /** The application a number is assigned to, whichever account holds it. */
  ownerOfNumber(number: string): Application | undefined {
    return this.numberOwners.get(number);
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
}
