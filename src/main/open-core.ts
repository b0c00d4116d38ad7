// What every process needs before it does anything: the store and the account directory. The
// config's accounts are applied to the directory in the database first (provisioning.ts), then
// the directory is read into memory and, for a server, kept current (directory-sync.ts).
import type { Config } from '../config/config.js';
import { AccountDirectory } from '../core/accounts/directory.js';
import { provision } from '../core/accounts/provisioning.js';
import type { Store } from '../core/ports.js';
import { openStore } from '../store/open-store.js';
import { syncDirectory, type DirectorySync } from './directory-sync.js';

export interface Core {
  store: Store;
  directory: AccountDirectory;
  /** Absent for a one-off command, whose directory is read once. */
  sync: DirectorySync | undefined;
  now: () => number;
}

export interface OpenCoreOptions {
  /** Apply the config's accounts (default true); the worker thread leaves it to its main thread. */
  provision?: boolean;
  /** Keep the directory current while running (default false: read once). */
  live?: boolean;
}

export async function openCore(config: Config, onError?: (err: unknown) => void, options: OpenCoreOptions = {}): Promise<Core> {
  const store = await openStore(config.databaseUrl, onError);
  try {
    if (options.provision !== false) await provision(store.directory, config.accounts, { prune: config.tenants?.prune ?? false, now: Date.now() });
    if (!options.live) return { store, directory: AccountDirectory.fromRows(await store.directory.load()), sync: undefined, now: () => Date.now() };
    const sync = await syncDirectory(store, onError ?? (() => undefined));
    return { store, directory: sync.directory, sync, now: () => Date.now() };
  } catch (err) {
    await store.close();
    throw err;
  }
}
