// What a failure of PostgreSQL means to the rest of Pigeon. The core and the HTTP layer know two
// store conditions, both answered 503 with Retry-After: busy (StoreBusyError: contention that did not
// resolve) and unavailable (StoreUnavailableError: the database cannot be reached or does not accept
// work). pg's error codes and messages are translated here, inside the store, and nowhere else;
// everything else stays as it is (a 500: a fault of ours or of the configuration).
import { StoreBusyError, StoreUnavailableError, type StoreUnavailableReason } from '../../core/errors.js';

/** deadlock_detected, serialization_failure: the transaction can simply be run again. */
const RETRIABLE = new Set(['40P01', '40001']);

/** SQLSTATEs of a server that is going away, starting up, or out of connection slots (class 08 too). */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown: the backend was terminated (shutdown, restart, pg_terminate_backend)
  '57P02', // crash_shutdown: another backend crashed and the server is resetting
  '57P03', // cannot_connect_now: starting up, shutting down, in recovery
  '53300', // too_many_connections
]);

/** Socket errors of a server that cannot be reached. */
const UNAVAILABLE_SYSCALLS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/**
 * pg and pg-pool report a connection that died, or could not be made in time, with an Error that
 * has no code; these are their messages. 55000 (object_not_in_prerequisite_state) means many
 * things, one of them a database that does not allow connections (ALTER DATABASE … ALLOW_CONNECTIONS
 * false, as during maintenance): only that one is matched, by its message.
 */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /is not queryable/,
  /is not currently accepting connections/,
];

/**
 * SQLSTATEs of a server that cannot store right now: its disk is full, it is (or has become, after a
 * failover to a standby) read-only, or its disk fails. An outage like a lost connection, with its reason.
 */
const STORAGE_SQLSTATES = new Map<string, StoreUnavailableReason>([
  ['53100', 'disk-full'], // disk_full: "could not extend file …: No space left on device"
  ['25006', 'read-only'], // read_only_sql_transaction: a hot standby, default_transaction_read_only
  ['58030', 'io-error'], // io_error
]);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether `err` (or, once translated, its cause) is a deadlock or serialization failure. */
export function isRetriable(err: unknown): boolean {
  const original = err instanceof StoreBusyError ? err.cause : err;
  return RETRIABLE.has(codeOf(original) ?? '');
}

function isUnavailable(err: unknown): boolean {
  const code = codeOf(err);
  if (code !== undefined && (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_SYSCALLS.has(code))) {
    return true;
  }
  const message = err instanceof Error ? err.message : '';
  return UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message));
}

/**
 * The error a store method rejects with: a deadlock or serialization failure (left after the
 * retries) becomes StoreBusyError, a lost or refused connection StoreUnavailableError, anything else
 * is returned as it is. Translating twice changes nothing.
 */
export function storeError(err: unknown): unknown {
  if (err instanceof StoreBusyError || err instanceof StoreUnavailableError) return err;
  if (RETRIABLE.has(codeOf(err) ?? '')) return new StoreBusyError({ cause: err });
  const storage = STORAGE_SQLSTATES.get(codeOf(err) ?? '');
  if (storage) return new StoreUnavailableError({ cause: err, reason: storage });
  if (isUnavailable(err)) return new StoreUnavailableError({ cause: err });
  return err;
}
