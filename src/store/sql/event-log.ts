// A recipient's timeline, kept in its own row (message_recipients.events, migration 0021): one JSON
// object per status change, each ended by a newline, appended by the same UPDATE that changes the
// status. A row per event cost an insert (and its index entries) for every change of every
// recipient, and "has it reached this status before?" a lookup in another table under another lock;
// in the row, the status, its history and the guard are one write and one read of one locked row.
//
// Each line starts with `{"s":"<STATUS>"`, and the status is always the first key: a quote inside a
// value is escaped in JSON, so that text can only occur where a line starts, and a substring search
// for it answers whether the recipient reached the status. The engines write lines with their own
// JSON functions in the migration, and this module writes the same shape.
import type { DeliveryJob, MessageEvent, StatusChange, SubmitWith } from '../../core/ports.js';

/** The line a change appends to its recipient's events. */
export function eventLine(change: Pick<StatusChange, 'status' | 'time' | 'errorCode' | 'detail'>): string {
  return `${JSON.stringify({ s: change.status, t: change.time, e: change.errorCode ?? null, d: change.detail ?? null })}\n`;
}

/**
 * How a deferral's line ends (the carrier gave the recipient back without offering it: throttled,
 * not bound). A carrier that is down defers every queued recipient about once a second, for as long
 * as it is down; each deferral's line would make the row longer and every later write of it longer
 * still. So a deferral is written only when the events do not already end with one: a run of them
 * shows as its first, and the queue entry (`run_at`, `last_error`) as its latest.
 */
export const DEFERRAL_TAIL = ',"q":1}\n';

/** A deferral's line: an event line ending in DEFERRAL_TAIL. */
export function deferralLine(change: Pick<StatusChange, 'status' | 'time' | 'errorCode' | 'detail'>): string {
  return `${eventLine(change).slice(0, -2)}${DEFERRAL_TAIL}`;
}

/** The text that occurs in a recipient's events exactly when it reached `status`. */
export function reachedMarker(status: string): string {
  return `{"s":${JSON.stringify(status)}`;
}

interface EventJson {
  s: string;
  t: number;
  e: number | null;
  d: string | null;
}

/** The events of one recipient, in the order they were written. */
export function eventsOfRecipient(destinationTn: string, text: string | null): MessageEvent[] {
  if (!text) return [];
  const events: MessageEvent[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const e = JSON.parse(line) as EventJson;
    events.push({ destinationTn, status: e.s, time: Number(e.t), errorCode: e.e ?? undefined, detail: e.d ?? undefined });
  }
  return events;
}

/** A row of a message's recipients as the timeline reads them. */
export interface EventsRow {
  destination_tn: string;
  events: string | null;
}

/**
 * A message's timeline from its recipients' rows: each recipient's events in the order they were
 * written (a receipt's time is the carrier's, which may be earlier than the SENT before it), merged
 * across recipients by time, as a global insertion order interleaved them.
 */
export function timelineOf(rows: readonly EventsRow[]): MessageEvent[] {
  const lists = rows.map((row) => eventsOfRecipient(row.destination_tn, row.events)).filter((list) => list.length > 0);
  if (lists.length === 1) return lists[0] as MessageEvent[];
  const heads = lists.map(() => 0);
  const merged: MessageEvent[] = [];
  for (;;) {
    let pick = -1;
    lists.forEach((list, i) => {
      const head = list[heads[i] as number];
      if (head && (pick < 0 || head.time < (lists[pick]?.[heads[pick] as number] as MessageEvent).time)) pick = i;
    });
    if (pick < 0) return merged;
    merged.push((lists[pick] as MessageEvent[])[heads[pick] as number] as MessageEvent);
    heads[pick] = (heads[pick] as number) + 1;
  }
}

/** What a change appends to its recipient's events: `lines`, after `first` unless the events hold `once`. */
export interface EventsAppend {
  once?: string;
  first?: string;
  lines: string;
  /** Nothing is appended when the events end with this (a run of deferrals, DEFERRAL_TAIL). */
  unlessTail?: string;
}

/** `lines`, after the SENDING a worker did not write on its own (SubmitWith), once per recipient. */
export function afterSending(sending: StatusChange | undefined, lines: string): EventsAppend {
  return sending ? { once: reachedMarker(sending.status), first: eventLine(sending), lines } : { lines };
}

/**
 * A recorded submit as one change of its recipient: SENT, preceded by the SENDING the worker did not
 * write on its own (once per recipient) and followed by the receipt the carrier gave with the submit,
 * if any, which is then the status written and the callback queued. `outcome` is that receipt's, for
 * the refs, which it settles.
 */
export function submitChange(
  job: DeliveryJob,
  carrier: string,
  carrierMessageIds: readonly string[],
  time: number,
  { sending, terminal }: SubmitWith,
): { change: StatusChange; events: EventsAppend; outcome: 'delivered' | 'failed' | null } {
  const sent: StatusChange = {
    messageId: job.message.id,
    destinationTn: job.destinationTn,
    status: 'SENT',
    time,
    detail: `${carrier}:${carrierMessageIds.join(',')}`,
  };
  const events = afterSending(sending, eventLine(sent) + (terminal ? eventLine(terminal) : ''));
  const outcome = terminal ? (terminal.status === 'DELIVERED' ? 'delivered' : 'failed') : null;
  return { change: terminal ?? sent, events, outcome };
}
