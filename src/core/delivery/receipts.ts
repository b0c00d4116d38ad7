// Delivery receipts: matched to the recipient by the carrier's message id of a submitted part, and
// turned into the terminal status and its callback. Receipts that never come end as 9902 after the
// timeout, as at Bandwidth.
//
// A receipt can overtake the recording of its own submit: the carrier answers the submit and sends
// the receipt on their own, and the worker that records the submit may be slow, or dead. Such a
// receipt is parked durably, so that the carrier can be told it was taken, and applied once the
// submit is recorded: at once by the worker that records it, or by the parked-receipt sweep, which
// also covers the moment when parking and recording race on a shared database. Parked receipts
// that no submit ever claims (a submit acknowledged to a worker that died before recording it,
// whose recipient was submitted again) are dropped after the receipt timeout.
import type { AccountDirectory } from '../accounts/directory.js';
import type { DeliveryJob, DeliveryStore, ReceiptMatch, StatusChange } from '../ports.js';
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
 * 'partial' when it reported one delivered part of a message whose other parts are still owed,
 * 'parked' when no submit with that id is recorded yet (it is applied when one is). Every outcome
 * is durable once the promise resolves; it rejects only when the store failed.
 */
export type ReceiptOutcome = 'applied' | 'duplicate' | 'partial' | 'parked';

export async function applyReceipt(deps: ReceiptDeps, carrier: string, receipt: DeliveryReceipt): Promise<ReceiptOutcome> {
  const park = { receiptKey: receipt.carrierMessageId, receipt: JSON.stringify(receipt), time: deps.now() };
  const match = await deps.store.matchReceipt(carrier, receiptIds(receipt), outcomeOf(receipt), { destination: receipt.destination, park });
  return match ? settle(deps, match, receipt) : 'parked';
}

function outcomeOf(receipt: DeliveryReceipt): 'delivered' | 'failed' {
  return receipt.delivered ? 'delivered' : 'failed';
}

// Parked receipts applied at once. Each is its own few transactions, so one at a time made a fast
// SMSC (receipt right behind the submit response, most receipts parked) wait on the disk once per
// write per receipt; side by side, the group committer writes them together. They may run side by
// side as receipts arriving over several binds already do: the store matches each part on its own
// and the terminal guard keeps one terminal change per recipient.
const PARKED_CONCURRENCY = 32;

/** Applies the parked receipts whose submit has been recorded since; returns how many ended a recipient. */
export async function applyParkedReceipts(deps: ReceiptDeps, batch = 500): Promise<number> {
  const parkedReceipts = await deps.store.matchedParkedReceipts(batch);
  let ended = 0;
  let next = 0;
  const lane = async () => {
    for (let parked = parkedReceipts[next++]; parked !== undefined; parked = parkedReceipts[next++]) {
      const receipt = JSON.parse(parked.receipt) as DeliveryReceipt;
      const match = await deps.store.matchReceipt(parked.carrier, receiptIds(receipt), outcomeOf(receipt), { destination: receipt.destination });
      // Applied before it is deleted: a crash in between applies it again, which the terminal guard ignores.
      if (match && (await settle(deps, match, receipt)) === 'applied') ended++;
      await deps.store.deleteParkedReceipt(parked.carrier, parked.receiptKey);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARKED_CONCURRENCY, parkedReceipts.length) }, lane));
  return ended;
}

/**
 * Refs of ended recipients are kept this many receipt timeouts after their submit, so that a late
 * duplicate receipt is recognised as one; after that no receipt is expected for them, and deleting
 * them keeps the table to a few hours of traffic and the ids an SMSC gives again from meeting them.
 */
const REF_RETENTION_TIMEOUTS = 2;
const PRUNE_BATCH = 5000;

/**
 * Fails recipients whose receipt is overdue, drops parked receipts as old, and prunes the refs of
 * ended recipients older than REF_RETENTION_TIMEOUTS receipt timeouts; returns how many recipients it ended.
 */
export async function expireOverdueReceipts(
  deps: ReceiptDeps,
  timeoutMs: number,
  batch = 500,
): Promise<{ ended: number; droppedParked: number; prunedRefs: number }> {
  const overdue = await deps.store.findAwaitingReceipt(deps.now() - timeoutMs, batch);
  let ended = 0;
  for (const job of overdue) {
    const change = statusChange(deps.directory, job.message, job.destinationTn, 'FAILED', deps.now(), {
      errorCode: ERROR.receiptExpired,
      detail: `no delivery receipt within ${Math.round(timeoutMs / 1000)} s`,
    });
    if (await deps.store.recordTerminal(change)) ended++;
  }
  const droppedParked = await deps.store.dropParkedReceiptsBefore(deps.now() - timeoutMs);
  // In batches, each its own write, so a backlog (the first sweep after an upgrade) never holds the
  // writers up for long.
  let prunedRefs = 0;
  let pruned: number;
  do {
    pruned = await deps.store.pruneCarrierRefs(deps.now() - REF_RETENTION_TIMEOUTS * timeoutMs, PRUNE_BATCH);
    prunedRefs += pruned;
  } while (pruned === PRUNE_BATCH);
  return { ended, droppedParked, prunedRefs };
}

/** Every spelling of a receipt's carrier id, as the store matches them. */
export function receiptIds(receipt: DeliveryReceipt): string[] {
  return [...new Set([receipt.carrierMessageId, ...(receipt.alternateIds ?? [])])];
}

async function settle(deps: ReceiptDeps, match: ReceiptMatch, receipt: DeliveryReceipt): Promise<ReceiptOutcome> {
  if (receipt.delivered && match.partsDelivered < match.partCount) return 'partial';
  const change = receiptChange(deps.directory, match.job, receipt);
  return (await deps.store.recordTerminal(change)) ? 'applied' : 'duplicate';
}

/** The terminal change a receipt makes of its recipient, with its callback. */
export function receiptChange(directory: AccountDirectory, job: DeliveryJob, receipt: DeliveryReceipt): StatusChange {
  const carrierSaid = receipt.carrierDetail === undefined ? '' : ` (${receipt.carrierDetail})`;
  const detail = `receipt ${receipt.carrierMessageId}${carrierSaid}`;
  return receipt.delivered
    ? statusChange(directory, job.message, job.destinationTn, 'DELIVERED', receipt.time, { detail })
    : statusChange(directory, job.message, job.destinationTn, 'FAILED', receipt.time, { errorCode: receipt.errorCode ?? 9999, detail });
}
