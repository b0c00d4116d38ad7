// Keeps this thread's account directory current: at start the whole directory is read once; after
// that, on every signal that it changed (the `directory` thread channel on SQLite, NOTIFY on
// PostgreSQL), only the rows written since the version this copy has. A poll covers a signal
// lost while PostgreSQL's listening connection was being re-established.
import { AccountDirectory } from '../core/accounts/directory.js';
import type { Store } from '../core/ports.js';

const POLL_MS = 1000;
/** Numbers put into the map of owners per turn of the event loop: some tens of milliseconds. */
const INDEX_SLICE = 50_000;

export interface DirectorySync {
  directory: AccountDirectory;
  /** Applies whatever changed since the last look; concurrent calls share one read. */
  refresh(): Promise<void>;
  /**
   * Fills the map of number owners (inbound routing) in slices from now on, between other work:
   * called once the process listens, so that sends, which do not need it, are served meanwhile.
   * A lookup before the end fills the rest at once.
   */
  indexInBackground(): void;
  close(): Promise<void>;
}

export async function syncDirectory(store: Store, onError: (err: unknown) => void): Promise<DirectorySync> {
  const directory = AccountDirectory.fromRows(await store.directory.load());
  let running: Promise<void> | undefined;
  let closed = false;
  let again = false;
  const look = async (): Promise<void> => {
    do {
      again = false;
      directory.apply(await store.directory.changesSince(directory.version));
    } while (again);
  };
  const refresh = (): Promise<void> => {
    if (running) {
      // A look in progress may have read before this change committed: look once more after it.
      again = true;
      return running;
    }
    running = look().finally(() => (running = undefined));
    return running;
  };
  const background = () => void refresh().catch(onError);
  const unlisten = store.listen ? await store.listen('directory', background) : undefined;
  const poll = setInterval(background, POLL_MS);
  poll.unref();
  return {
    directory,
    refresh,
    indexInBackground: () => {
      const slice = () => {
        if (!closed && !directory.indexOwners(INDEX_SLICE)) setImmediate(slice);
      };
      setImmediate(slice);
    },
    close: async () => {
      closed = true;
      clearInterval(poll);
      await unlisten?.();
      await running?.catch(() => undefined);
    },
  };
}
