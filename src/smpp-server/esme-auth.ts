// Bind credentials: system_id and password checked against the SMPP users of the config, with the
// same scrypt hashes as API passwords (core/accounts/passwords.ts, constant-time comparison). An
// unknown system_id is checked against a throw-away hash, so it costs as long as a known one, and is
// refused with the same status as a wrong password (ESME_RINVPASWD), so binds do not tell which ids
// exist; at
// most two checks run at once (the thread pool is shared with SQLite's fsync, as for Basic Auth)
// and a bounded number wait, beyond which a bind is refused as a system error.
import { randomBytes } from 'node:crypto';
import { Semaphore, SemaphoreFullError } from '../core/accounts/authenticator.js';
import type { AccountDirectory, SmppUser } from '../core/accounts/directory.js';
import { hashPassword, verifyPassword } from '../core/accounts/passwords.js';
import { ESME } from './status-table.js';

export type BindCheck = { status: 0; user: SmppUser } | { status: number; user?: undefined };

export class EsmeAuthenticator {
  private readonly checks = new Semaphore(2, 64);
  private readonly decoy = hashPassword(randomBytes(16).toString('hex'));

  constructor(private readonly directory: AccountDirectory) {}

  async check(systemId: string, password: string): Promise<BindCheck> {
    const user = this.directory.smppUser(systemId);
    const hash = user?.passwordHash ?? (await this.decoy);
    let matches: boolean;
    try {
      matches = await this.checks.run(() => verifyPassword(password, hash));
    } catch (err) {
      if (err instanceof SemaphoreFullError) return { status: ESME.RBINDFAIL };
      throw err;
    }
    return user && matches ? { status: 0, user } : { status: ESME.RINVPASWD };
  }
}
