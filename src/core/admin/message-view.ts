// Everything Pigeon knows about one message, for the admin API, the CLI and tests: the message with
// its text, each recipient's record, the event timeline and every callback with its attempts.
import type { Message } from '../messages/message.js';
import { toListItem, type ListMessageItem } from '../messages/list-messages.js';
import type { CallbackRecord, DeliveryStore, MessageDetail, MessageEvent, MessageStore, QueueEntry } from '../ports.js';

export interface MessageView {
  message: Message & { timeIso: string };
  recipients: ListMessageItem[];
  events: Array<MessageEvent & { timeIso: string }>;
  /** Recipients still in the delivery queue: attempts spent, whether a submit is in progress, when due. */
  queue: QueueEntry[];
  callbacks: Array<Omit<CallbackRecord, 'body'> & { body: unknown }>;
}

export async function messageView(
  store: { messages: MessageStore; delivery: DeliveryStore },
  messageId: string,
  now: number = Date.now(),
): Promise<MessageView | undefined> {
  const message = await store.delivery.getMessage(messageId);
  if (!message) return undefined;
  const [records, queue] = await Promise.all([
    store.messages.listMessages(message.accountId, {
      messageId,
      sort: { field: 'destinationTn', direction: 'asc' },
      offset: 0,
      limit: 100,
      // The records are all it needs: no count (one query less per view, and per exported message).
      countLimit: 0,
    }),
    store.delivery.queueEntries(messageId, now),
  ]);
  // Events and callbacks are read after the records, not beside them: a status change, its event
  // and its callback commit together, so events and callbacks read later hold those of every status
  // the records show. Read in parallel on PostgreSQL (separate snapshots), a record could show
  // DELIVERED while the timeline, read a moment earlier, still ended at SENT (a receipt committing
  // between the two reads), and a wait for 'terminal' returned a timeline without its terminal
  // event; likewise a wait for settled callbacks would end with none.
  const [events, callbacks] = await Promise.all([
    store.delivery.listEvents(messageId),
    store.delivery.listCallbacks(messageId),
  ]);
  return viewOf({ message, records: records.records, events, callbacks }, queue);
}

/** The view of a message from what the store holds of it (also the export's, a page of messages at once). */
export function viewOf(detail: MessageDetail, queue: QueueEntry[]): MessageView {
  const { message } = detail;
  return {
    message: { ...message, timeIso: new Date(message.time).toISOString() },
    recipients: detail.records.map(toListItem),
    events: [...acceptanceEvents(message), ...detail.events].map((e) => ({ ...e, timeIso: new Date(e.time).toISOString() })),
    queue,
    callbacks: detail.callbacks.map((c) => ({ ...c, body: JSON.parse(c.body) as unknown })),
  };
}

/** The events of acceptance, which the store keeps as the message's own time (see DeliveryStore.listEvents). */
function acceptanceEvents(message: Message): MessageEvent[] {
  const at = (destinationTn: string, status: string): MessageEvent => ({
    destinationTn,
    status,
    time: message.time,
    errorCode: undefined,
    detail: undefined,
  });
  if (message.direction === 'in') return [at(message.owner, 'RECEIVED')];
  return message.to.flatMap((to) => [at(to, 'RECEIVED'), at(to, 'QUEUED')]);
}

const FINAL = new Set(['DELIVERED', 'FAILED', 'RECEIVED']);

export type WaitCondition = 'terminal' | 'callbacks';

/** True once every recipient reached a final status and, for 'callbacks', every callback is settled. */
export function satisfies(view: MessageView, condition: WaitCondition): boolean {
  const final = view.recipients.length > 0 && view.recipients.every((r) => FINAL.has(r.messageStatus));
  if (condition === 'terminal') return final;
  return final && view.callbacks.every((c) => c.state !== 'pending');
}
