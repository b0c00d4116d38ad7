// Whether this process can do its work, and what to do while its database cannot store: the
// readiness answer of GET /readyz, and the one place that turns a database outage (unreachable,
// disk full, read-only file or filesystem, failing disk) into one log line when it starts and one
// when it ends, instead of an error with a stack trace per request and per worker poll.
//
// An outage is entered when any request or background loop meets StoreUnavailableError. While it
// lasts, the workers are paused (so nothing is handed to a carrier that could not be recorded), and a
// probe runs every second: the schema is read, a row is written (settings), and for a full disk
// there must also be room again (1 MiB free where the engine shows it, as SQLite's filesystem does;
// else a megabyte of incompressible data must be stored and is then given back), since a small
// write can fit in space the database already holds while real writes still fail. The first probe that passes ends the outage and resumes the workers.
import { randomBytes } from 'node:crypto';
import type { StoreUnavailableReason } from '../core/errors.js';
import { StoreUnavailableError } from '../core/errors.js';
import type { Store } from '../core/ports.js';

export interface HealthLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export type NotReadyReason = StoreUnavailableReason | 'starting' | 'stopping' | 'schema-outdated' | 'schema-newer' | 'database-error';

export interface ReadyReport {
  ready: boolean;
  reason?: NotReadyReason;
  description?: string;
}

export interface StoreHealthOptions {
  store: Store;
  logger: HealthLogger;
  now: () => number;
  /** Called with true when an outage starts and false when it ends (pause and resume the workers). */
  onChange?: (outage: boolean) => void;
  probeMs?: number;
  /** Free space a full disk must have again before the outage ends (where the engine can see it). */
  minFreeBytes?: number;
  /** Longest a readiness check waits for the database. */
  checkTimeoutMs?: number;
}

const DESCRIPTIONS: Record<NotReadyReason, string> = {
  unreachable: 'the database cannot be reached',
  'disk-full': "the database's disk is full",
  'read-only': 'the database is read-only',
  'io-error': "the database's disk reports I/O errors",
  starting: 'the process is starting',
  stopping: 'the process is stopping',
  'schema-outdated': 'the database schema is older than this Pigeon; run pigeon migrate',
  'schema-newer': 'the database schema is newer than this Pigeon; upgrade Pigeon',
  'database-error': 'the database answered the readiness check with an error',
};

export const PROBE_SETTING = 'readiness-probe';
const SPACE_PROBE_SETTING = 'readiness-probe-space';

interface Outage {
  reason: StoreUnavailableReason;
  since: number;
}

export class StoreHealth {
  private outage: Outage | undefined;
  private running = false;
  private closed = false;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing: Promise<void> | undefined;
  private readonly probeMs: number;
  private readonly minFreeBytes: number;
  private readonly checkTimeoutMs: number;

  constructor(private readonly options: StoreHealthOptions) {
    this.probeMs = options.probeMs ?? 1000;
    this.minFreeBytes = options.minFreeBytes ?? 1024 * 1024;
    this.checkTimeoutMs = options.checkTimeoutMs ?? 3000;
  }

  /** The process's role is running: the workers are started and the server listens. */
  started(): void {
    this.running = true;
  }

  /** The reason of the outage in progress, if any. */
  current(): StoreUnavailableReason | undefined {
    return this.outage?.reason;
  }

  /**
   * Takes any error a request or a background loop met. True when it was a database outage, which
   * is logged here once per change: the caller logs nothing more. False for anything else
   * (StoreBusyError included: a lock that outlasted the busy timeout is no outage), the caller's to log.
   */
  report(err: unknown): boolean {
    if (!(err instanceof StoreUnavailableError)) return false;
    if (this.closed) return true;
    const previous = this.outage;
    if (previous?.reason === err.reason) return true;
    this.outage = { reason: err.reason, since: previous?.since ?? this.options.now() };
    const cause = err.cause instanceof Error ? err.cause.message : undefined;
    if (previous) {
      this.options.logger.warn({ reason: err.reason, was: previous.reason, cause }, `database outage changed: ${DESCRIPTIONS[err.reason]}`);
      return true;
    }
    this.options.logger.error(
      { reason: err.reason, cause },
      `database outage started: ${DESCRIPTIONS[err.reason]}; answering 503 and pausing the workers until it ends`,
    );
    this.options.onChange?.(true);
    this.scheduleProbe();
    return true;
  }

  /** What GET /readyz answers. */
  async readiness(): Promise<ReadyReport> {
    if (this.closed) return notReady('stopping');
    if (!this.running) return notReady('starting');
    if (this.outage) return notReady(this.outage.reason);
    let state: Awaited<ReturnType<NonNullable<Store['readiness']>>> | undefined;
    try {
      state = await this.withTimeout(this.options.store.readiness?.());
    } catch (err) {
      if (err instanceof StoreUnavailableError) {
        this.report(err);
        return notReady(err.reason);
      }
      if (err instanceof TimeoutError) return notReady('unreachable');
      return notReady('database-error');
    }
    if (state && state.applied < state.known) return notReady('schema-outdated');
    if (state && state.applied > state.known) return notReady('schema-newer');
    return { ready: true };
  }

  /** Stops probing; an outage can no longer end (and resume the workers) after this. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.probeTimer);
    await this.probing;
  }

  private scheduleProbe(): void {
    if (this.closed) return;
    clearTimeout(this.probeTimer);
    this.probeTimer = setTimeout(() => {
      this.probing = this.probe().finally(() => (this.probing = undefined));
    }, this.probeMs);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    const outage = this.outage;
    if (!outage || this.closed) return;
    const { store, now } = this.options;
    try {
      const state = await this.withTimeout(store.readiness?.());
      const tooFull = outage.reason === 'disk-full' && state?.freeBytes !== undefined && state.freeBytes < this.minFreeBytes;
      if (!tooFull) {
        const time = now();
        await this.withTimeout(store.delivery.putSetting(PROBE_SETTING, String(time), time));
        if (outage.reason === 'disk-full' && state?.freeBytes === undefined) {
          // The engine does not show its free space (PostgreSQL): room for a megabyte of data that
          // does not compress must be found, then it is given back.
          await this.withTimeout(store.delivery.putSetting(SPACE_PROBE_SETTING, randomBytes(this.minFreeBytes / 2).toString('hex'), time));
          await this.withTimeout(store.delivery.putSetting(SPACE_PROBE_SETTING, '', time));
        }
        if (this.closed) return;
        this.outage = undefined;
        this.options.logger.info(
          { reason: outage.reason, lastedMs: now() - outage.since },
          'database outage ended: accepting and delivering again',
        );
        this.options.onChange?.(false);
        return;
      }
    } catch (err) {
      // Still out (perhaps for another reason); anything else is not an outage's end either.
      if (!this.report(err) && !(err instanceof TimeoutError)) {
        this.options.logger.warn({ cause: err instanceof Error ? err.message : String(err) }, 'database probe failed');
      }
    }
    this.scheduleProbe();
  }

  private async withTimeout<T>(work: Promise<T> | undefined): Promise<T | undefined> {
    if (!work) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError()), this.checkTimeoutMs);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

class TimeoutError extends Error {}

function notReady(reason: NotReadyReason): ReadyReport {
  return { ready: false, reason, description: DESCRIPTIONS[reason] };
}
