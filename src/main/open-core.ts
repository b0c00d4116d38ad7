// What every process needs before it does anything: the store and the account directory.
import type { Config } from '../config/config.js';
import { AccountDirectory } from '../core/accounts/directory.js';
import type { Store } from '../core/ports.js';
import { openStore } from '../store/open-store.js';

export interface Core {
  store: Store;
  directory: AccountDirectory;
  now: () => number;
}

export async function openCore(config: Config, onError?: (err: unknown) => void): Promise<Core> {
  const directory = await AccountDirectory.fromConfig(config.accounts);
  const store = await openStore(config.databaseUrl, onError);
  return { store, directory, now: () => Date.now() };
}
