// What a failure of SQLite's file means to the rest of Pigeon. A full disk, a read-only file or
// filesystem and a failing disk are outages, not bugs: they become StoreUnavailableError (answered
// 503 with Retry-After, reported once per change) with the reason, and a lock held past the busy
// timeout StoreBusyError. Everything else stays as it is (a 500: a fault of ours).
import { StoreBusyError, StoreUnavailableError, type StoreUnavailableReason } from '../../core/errors.js';

/** SQLITE_BUSY (and its extended codes) or SQLITE_LOCKED: another connection held the lock past busy_timeout. */
export function isBusy(err: unknown): boolean {
  const code = codeOf(err);
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** SQLite's result codes and the errno of a failed fdatasync of the WAL. */
function storageReason(err: unknown): StoreUnavailableReason | undefined {
  const code = codeOf(err);
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') return 'disk-full';
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') return 'read-only';
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') return 'io-error';
  return undefined;
}

/** The error a write rejects with; translating twice changes nothing. */
export function sqliteStoreError(err: unknown): unknown {
  if (err instanceof StoreBusyError || err instanceof StoreUnavailableError) return err;
  if (isBusy(err)) return new StoreBusyError({ cause: err });
  const reason = storageReason(err);
  return reason ? new StoreUnavailableError({ cause: err, reason }) : err;
}
