// Finding the next message that matches a test's filters (GET /admin/v1/messages/next, `pigeon
// wait`): messages after a position in acceptance order, filtered by account, direction, sender,
// recipient and a text pattern (safe-pattern.ts). The wait itself (woken by the change signal)
// belongs to the caller; this is one look.
import type { Message } from '../messages/message.js';
import type { FeedPosition, MessageStore } from '../ports.js';
import type { SafePattern } from './safe-pattern.js';

export interface NextMessageFilter {
  accountId?: string;
  direction?: 'in' | 'out';
  /** The sender, exactly (E.164). */
  from?: string;
  /** One of the recipients, exactly (E.164). */
  to?: string;
  text?: SafePattern;
  after: FeedPosition;
}

/** Rows read per look at most; a wait that found nothing in them looks again from where it stopped. */
const PAGE = 500;
const PAGES_PER_LOOK = 10;
/**
 * Messages this close to now are read again by the next look even when they did not match: on
 * PostgreSQL a message can commit after a later-stamped one was read, and skipping past it for good
 * would miss it.
 */
const SETTLE_MS = 10_000;

export function matchesFilter(message: Message, filter: NextMessageFilter): boolean {
  if (filter.accountId !== undefined && message.accountId !== filter.accountId) return false;
  if (filter.direction !== undefined && message.direction !== filter.direction) return false;
  if (filter.from !== undefined && message.from !== filter.from) return false;
  if (filter.to !== undefined && !message.to.includes(filter.to) && message.owner !== filter.to) return false;
  if (filter.text !== undefined && !filter.text.test(message.text ?? '')) return false;
  return true;
}

export interface Look {
  found: Message | undefined;
  /** Where the next look can start: past every row that can no longer change the answer. */
  resumeAt: FeedPosition;
}

export async function lookForNext(messages: MessageStore, filter: NextMessageFilter, now: number): Promise<Look> {
  let position = filter.after;
  let resumeAt = filter.after;
  for (let page = 0; page < PAGES_PER_LOOK; page++) {
    const rows = await messages.messagesAfter({ accountId: filter.accountId, direction: filter.direction, after: position, limit: PAGE });
    for (const message of rows) {
      if (matchesFilter(message, filter)) return { found: message, resumeAt };
      if (message.time < now - SETTLE_MS) resumeAt = { time: message.time, id: message.id };
    }
    const last = rows.at(-1);
    if (rows.length < PAGE || !last) break;
    position = { time: last.time, id: last.id };
  }
  return { found: undefined, resumeAt };
}
