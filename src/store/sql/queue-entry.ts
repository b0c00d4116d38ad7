// What both engines say about a recipient put back in the queue, and how they show a queue row.
import type { QueueEntry } from '../../core/ports.js';

/** The QUEUED event's detail: a retry spends an attempt, a deferral (throttled, not bound) does not. */
export function retryDetail(runAt: number, error: string, attemptSpent: boolean): string {
  const at = new Date(runAt).toISOString();
  return attemptSpent ? `retry at ${at}: ${error}` : `deferred to ${at}, no attempt spent: ${error}`;
}

export function queueEntry(
  row: { destination_tn: string; attempts: number | string; run_at: number | string; last_error: string | null; locked_until: number | string | null },
  now: number,
): QueueEntry {
  // The claim counts the attempt it starts; while it is in progress that attempt is not spent yet.
  const inFlight = row.locked_until !== null && Number(row.locked_until) > now;
  return {
    destinationTn: row.destination_tn,
    attempts: Number(row.attempts) - (inFlight ? 1 : 0),
    inFlight,
    runAt: Number(row.run_at),
    lastError: row.last_error ?? undefined,
  };
}
