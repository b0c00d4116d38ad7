// Hands queued recipients to the carrier. Claims are leased, so a worker that dies mid-flight has
// its work taken over when the lease runs out; terminal changes are guarded in the store, so a
// submit repeated because of that produces at most one terminal callback.
import type { AccountDirectory } from '../accounts/directory.js';
import type { DeliveryJob, DeliveryStore, RatePolicy, StatusChange, WorkLog } from '../ports.js';
import { ClaimLoop } from '../../shared/claim-loop.js';
import { messageLogContext } from '../../shared/log-context.js';
import { backoffMs } from './backoff.js';
import { receiptChange } from './receipts.js';
import { CarrierError, type CarrierAdapter } from './carrier.js';
import { ERROR } from './error-codes.js';
import { statusChange } from './status-change.js';

export interface DeliveryWorkerOptions {
  workerId: string;
  concurrency: number;
  leaseMs: number;
  maxAttempts: number;
  retryInitialMs: number;
  retryMaxMs: number;
  /** Longest sleep when the queue is empty; new messages wake the worker sooner. */
  idleMs: number;
}

export interface DeliveryWorkerDeps {
  store: DeliveryStore;
  carrier: CarrierAdapter;
  directory: AccountDirectory;
  rates: RatePolicy;
  now: () => number;
  onError: (err: unknown, context: string) => void;
  /** Called after a change that may have queued a callback, so it leaves without waiting for a poll. */
  onChange?: () => void;
  /** Called when a recorded submit has receipts parked for it (they overtook it), so they are applied now. */
  onReceiptsWaiting?: () => void;
  /** Whether the recipient opted out of this sender (core/opt-out); absent, nobody has. */
  optedOut?: (job: DeliveryJob) => Promise<boolean>;
  /** Lines about each recipient's work, which name the message and the request that sent it; absent, none. */
  log?: WorkLog;
}

export interface DeliveryCounters {
  submitted: number;
  retried: number;
  /** Recipients put back by the carrier (throttled, not bound) without spending an attempt. */
  deferred: number;
  failed: number;
  /** Submits whose lease had been taken over by another worker before they were recorded. */
  duplicateSubmits: number;
}

/** A claimed job and whether its recipient had opted out of its sender when it was claimed. */
interface ClaimedJob {
  job: DeliveryJob;
  optedOut: boolean;
}

export class DeliveryWorker {
  readonly counters: DeliveryCounters = { submitted: 0, retried: 0, deferred: 0, failed: 0, duplicateSubmits: 0 };
  /** The earliest time this worker knows work becomes due (its own retries, rate-limited jobs). */
  private nextKnownDue: number | undefined;
  private readonly loop: ClaimLoop<ClaimedJob>;
  /** Carrier ids whose submit this worker is recording now, with that recording. */
  private readonly recording = new Map<string, Promise<unknown>>();

  constructor(
    private readonly deps: DeliveryWorkerDeps,
    private readonly options: DeliveryWorkerOptions,
  ) {
    this.loop = new ClaimLoop({
      concurrency: options.concurrency,
      idleMs: options.idleMs,
      claim: (limit) => this.claim(limit),
      handle: ({ job, optedOut }) => this.deliver(job, optedOut),
      logContext: ({ job }) => messageLogContext(job.message),
      onError: (err, item) => deps.onError(err, item ? `delivery of ${item.job.message.id}` : 'delivery claim'),
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Called when messages were accepted, so they go out without waiting for the next poll. */
  wake(): void {
    this.loop.wake();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /**
   * Resolves once this worker has recorded the submit of any of these carrier ids that it is
   * recording now. A fast carrier's receipt often arrives while its submit is being recorded (in
   * the same socket read as the submit response, even); waiting here lets it match at once instead
   * of being parked and applied later, which costs three more writes. The ids of a submit response
   * read with the receipt are registered within the same turn of the event loop, hence one turn of
   * waiting when none is known. Ids another process records are not known here: those receipts are
   * parked as before.
   */
  async recorded(carrierMessageIds: readonly string[]): Promise<void> {
    const pending = () => carrierMessageIds.flatMap((id) => this.recording.get(id) ?? []);
    if (pending().length === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    await Promise.allSettled(pending());
  }

  private async claim(limit: number): Promise<{ items: ClaimedJob[]; delayMs: number }> {
    const now = this.deps.now();
    const { jobs, nextDueAt } = await this.deps.store.claimDeliveries({
      workerId: this.options.workerId,
      now,
      limit,
      leaseMs: this.options.leaseMs,
      rates: this.deps.rates,
    });
    this.noteDue(nextDueAt);
    if (this.nextKnownDue !== undefined && this.nextKnownDue <= now) this.nextKnownDue = undefined;
    const untilDue = this.nextKnownDue === undefined ? this.options.idleMs : this.nextKnownDue - now;
    // Opt-outs are read for the whole claim before any job starts: an await inside each job ahead
    // of its SENDING write would let the jobs of one claim record SENDING out of their queue order.
    const optedOut = this.deps.optedOut;
    const blocked = optedOut ? await Promise.all(jobs.map((job) => optedOut(job))) : [];
    const items = jobs.map((job, i) => ({ job, optedOut: blocked[i] === true }));
    return { items, delayMs: Math.min(this.options.idleMs, Math.max(1, untilDue)) };
  }

  private noteDue(time: number | undefined): void {
    if (time !== undefined) this.nextKnownDue = Math.min(this.nextKnownDue ?? time, time);
  }

  private async deliver(job: DeliveryJob, optedOut: boolean): Promise<void> {
    const { store, carrier, directory, now } = this.deps;
    const { message, destinationTn } = job;
    const attempt = job.attempts + 1;
    if (message.expiresAt !== undefined && message.expiresAt <= now()) {
      await this.fail(job, ERROR.expired, 'expiration passed before the message could be sent');
      return;
    }
    // The opt-out check read committed state right after the claim, on every attempt, and nothing
    // but the SENDING write separates it from the submit. A block committed before the check started
    // is therefore always seen (SQLite: reads on the store's connection see every committed batch,
    // and its writes run only inside synchronous group commits, never open across this await;
    // PostgreSQL READ COMMITTED: a statement sees everything committed before it began), so no
    // recipient is submitted whose check came after the block was recorded: that covers recipients
    // queued before the STOP and retries. The window is a block committed after the check began
    // and before the carrier took the submit: one SENDING write and one submit call per recipient
    // in flight, at most `concurrency` recipients per worker, as when a STOP crosses a message
    // already on its way through a carrier. Closing it would mean holding a lock across the carrier call.
    if (optedOut) {
      await this.fail(job, ERROR.optedOut, 'the recipient opted out of messages from this sender');
      return;
    }
    // Every attempt, not only the first: a process that died between its claim and this write
    // must not cost the recipient its SENDING event. The store reports it once. With a callback
    // (MMS) it is written before the submit, so the callback leaves while the carrier holds the
    // message; without one (SMS) it goes into the write that records the submit, one write fewer.
    const sending = statusChange(directory, message, destinationTn, 'SENDING', now());
    if (sending.callback && (await store.recordProgress(sending))) this.deps.onChange?.();
    try {
      const { carrierMessageIds, receipt } = await carrier.submit({
        messageId: message.id,
        from: message.from,
        destination: destinationTn,
        recipients: message.to,
        text: message.text,
        media: message.media,
        type: message.type,
        segmentCount: message.segmentCount,
        attempt,
        accountId: message.accountId,
        priority: message.priority,
        expiresAt: message.expiresAt,
        acceptedAt: message.time,
      });
      // An outcome the carrier gave with its answer is recorded in the same write (SubmitWith), not
      // before the SENT it follows.
      const sentAt = now();
      const terminal = receipt && receiptChange(directory, job, { ...receipt, time: Math.max(receipt.time, sentAt) });
      const also = { ...(!sending.callback && { sending }), ...(terminal && { terminal }) };
      const recording = store.recordSubmitted(job, this.options.workerId, carrier.name, carrierMessageIds, sentAt, also);
      for (const id of carrierMessageIds) this.recording.set(id, recording);
      const recorded = await recording.finally(() => {
        for (const id of carrierMessageIds) if (this.recording.get(id) === recording) this.recording.delete(id);
      });
      this.counters.submitted++;
      this.deps.log?.debug({ carrier: carrier.name, attempt, parts: carrierMessageIds.length }, 'submitted to the carrier');
      if (!recorded.owned) this.counters.duplicateSubmits++;
      if (recorded.ended && terminal?.callback) this.deps.onChange?.();
      if (recorded.receiptsWaiting) this.deps.onReceiptsWaiting?.();
    } catch (err) {
      const carrierError =
        err instanceof CarrierError ? err : new CarrierError(err instanceof Error ? err.message : String(err), true, 5999);
      // The attempt's SENDING, when it was not written before the submit, goes into this write.
      const unwritten = sending.callback ? undefined : sending;
      if (!carrierError.transient) {
        await this.fail(job, carrierError.errorCode, carrierError.message, unwritten);
        return;
      }
      if (!carrierError.spendsAttempt) {
        await this.defer(job, carrierError, unwritten);
        return;
      }
      if (attempt >= this.options.maxAttempts) {
        await this.fail(job, ERROR.retriesExceeded, `gave up after ${attempt} attempts: ${carrierError.message}`, unwritten);
        return;
      }
      // Not failed when the backoff would pass the expiration: 4360 says the expiration passed, and
      // until it does the recipient is still queued. The retry is due at the expiration at the
      // latest; the claim then hands the worker an expired recipient, which it fails (above).
      const backoffAt = now() + backoffMs(attempt, this.options.retryInitialMs, this.options.retryMaxMs);
      const runAt = message.expiresAt === undefined ? backoffAt : Math.min(backoffAt, message.expiresAt);
      this.counters.retried++;
      await store.recordRetry(job, this.options.workerId, runAt, carrierError.message, now(), {
        attemptSpent: true,
        ...(unwritten && { sending: unwritten }),
      });
      this.deps.log?.debug(
        { carrier: carrier.name, attempt, errorCode: carrierError.errorCode, error: carrierError.message, retryAt: new Date(runAt).toISOString() },
        'carrier refused for now: retrying',
      );
      this.noteDue(runAt);
    }
  }

  /**
   * The carrier could not take the recipient for reasons of its own (throttled, not bound): queued
   * again after the carrier's hint, without spending an attempt; capped by the expiration as a retry is.
   */
  private async defer(job: DeliveryJob, carrierError: CarrierError, sending: StatusChange | undefined): Promise<void> {
    const { now } = this.deps;
    const delay = Math.min(this.options.retryMaxMs, Math.max(1, carrierError.retryAfterMs ?? this.options.retryInitialMs));
    const expiresAt = job.message.expiresAt;
    const runAt = expiresAt === undefined ? now() + delay : Math.min(now() + delay, expiresAt);
    this.counters.deferred++;
    await this.deps.store.recordRetry(job, this.options.workerId, runAt, carrierError.message, now(), {
      attemptSpent: false,
      ...(sending && { sending }),
    });
    this.noteDue(runAt);
  }

  private async fail(job: DeliveryJob, errorCode: number, detail: string, sending?: StatusChange): Promise<void> {
    const change = statusChange(this.deps.directory, job.message, job.destinationTn, 'FAILED', this.deps.now(), { errorCode, detail });
    if (await this.deps.store.recordTerminal(change, sending)) {
      this.counters.failed++;
      this.deps.log?.info({ errorCode, detail }, 'recipient failed');
      this.deps.onChange?.();
    }
  }
}
