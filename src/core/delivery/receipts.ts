// Delivery receipts: matched to the recipient by the carrier's message id, and turned into the
// terminal status and its callback. Receipts that never come end as 9902 after the timeout, as at Bandwidth.
import type { AccountDirectory } from '../accounts/directory.js';
import type { DeliveryStore } from '../ports.js';
import type { DeliveryReceipt } from './carrier.js';
import { ERROR } from './error-codes.js';
import { statusChange } from './status-change.js';

export interface ReceiptDeps {
  store: DeliveryStore;
  directory: AccountDirectory;
  now: () => number;
}

/**
 * 'applied' when the receipt ended a recipient, 'duplicate' when the recipient had already ended,
 * 'unknown' when no submit with that id is recorded (yet: a receipt can overtake the recording of
 * its own submit, so the adapter should offer it again later rather than drop it).
 */
export async function applyReceipt(
  deps: ReceiptDeps,
  carrier: string,
  receipt: DeliveryReceipt,
): Promise<'applied' | 'duplicate' | 'unknown'> {
  const job = await deps.store.findByCarrierId(carrier, receipt.carrierMessageId);
  if (!job) return 'unknown';
  const change = receipt.delivered
    ? statusChange(deps.directory, job.message, job.destinationTn, 'DELIVERED', receipt.time, { detail: `receipt ${receipt.carrierMessageId}` })
    : statusChange(deps.directory, job.message, job.destinationTn, 'FAILED', receipt.time, {
        errorCode: receipt.errorCode ?? 9999,
        detail: `receipt ${receipt.carrierMessageId}`,
      });
  return (await deps.store.recordTerminal(change)) ? 'applied' : 'duplicate';
}

/** Fails recipients whose receipt is overdue; returns how many it ended. */
export async function expireOverdueReceipts(deps: ReceiptDeps, timeoutMs: number, batch = 500): Promise<number> {
  const overdue = await deps.store.findAwaitingReceipt(deps.now() - timeoutMs, batch);
  let ended = 0;
  for (const job of overdue) {
    const change = statusChange(deps.directory, job.message, job.destinationTn, 'FAILED', deps.now(), {
      errorCode: ERROR.receiptExpired,
      detail: `no delivery receipt within ${Math.round(timeoutMs / 1000)} s`,
    });
    if (await deps.store.recordTerminal(change)) ended++;
  }
  return ended;
}
