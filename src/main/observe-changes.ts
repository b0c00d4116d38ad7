// The store's own change signal: every write that the console's message views show (acceptance,
// status changes, inbound copies, callback attempts) signals after it resolves, naming the accounts
// it touched so that a console session hears only its own accounts' changes. Wrapped at the port,
// like the metrics, so neither the core nor the engines know the console exists. Where threads or
// processes share the database, the change is also announced to the others (the `changes`
// channel, with the account ids as its payload), at most once per ANNOUNCE_MS so a busy process
// adds few notifications.
import type { DeliveryStore, MessageStore, Store } from '../core/ports.js';
import { intercept } from '../metrics/instrument.js';
import type { ChangeSignal } from '../shared/change-signal.js';

const ANNOUNCE_MS = 250;
/** PostgreSQL's payload limit is 8000 bytes; longer lists go in several notifications. */
const PAYLOAD_CHARS = 7000;
/** Callbacks claimed and not yet recorded, whose account the attempt's record does not name. */
const MAX_CLAIMED = 100_000;

export function observeChanges(store: Store, signal: ChangeSignal): Store {
  const messages = store.messages;
  const delivery = store.delivery;
  let announcing: NodeJS.Timeout | undefined;
  const toAnnounce = new Set<string>();
  const announce = (accountIds: readonly string[]) => {
    if (!store.announce) return;
    for (const id of accountIds) toAnnounce.add(id);
    if (announcing) return;
    announcing = setTimeout(() => {
      announcing = undefined;
      let chunk = '';
      for (const id of toAnnounce) {
        if (chunk.length + id.length + 1 > PAYLOAD_CHARS) {
          store.announce?.('changes', chunk);
          chunk = '';
        }
        chunk = chunk === '' ? id : `${chunk},${id}`;
      }
      toAnnounce.clear();
      if (chunk !== '') store.announce?.('changes', chunk);
    }, ANNOUNCE_MS);
    announcing.unref();
  };
  const after =
    <A extends unknown[], R>(method: (...args: A) => Promise<R>, accountsOf: (...args: A) => Array<string | undefined>) =>
    async (...args: A): Promise<R> => {
      const result = await method(...args);
      const accountIds = [...new Set(accountsOf(...args).filter((id): id is string => id !== undefined))];
      signal.emit(accountIds);
      announce(accountIds);
      return result;
    };
  // The callback worker claims and records in the same process: the claim names the account.
  const claimed = new Map<number, string>();
  const claimCallbacks: DeliveryStore['claimCallbacks'] = async (request) => {
    const callbacks = await delivery.claimCallbacks(request);
    if (claimed.size + callbacks.length > MAX_CLAIMED) claimed.clear();
    for (const c of callbacks) claimed.set(c.id, c.accountId);
    return callbacks;
  };
  const callbackAccount = (id: number) => {
    const accountId = claimed.get(id);
    claimed.delete(id);
    return [accountId];
  };
  return intercept<Store>(store, {
    messages: intercept<MessageStore>(messages, {
      acceptOutbound: after(messages.acceptOutbound.bind(messages), (message) => [message.accountId]),
    }),
    delivery: intercept<DeliveryStore>(delivery, {
      recordProgress: after(delivery.recordProgress.bind(delivery), (change) => [change.accountId ?? change.callback?.accountId]),
      recordSubmitted: after(delivery.recordSubmitted.bind(delivery), (job) => [job.message.accountId]),
      recordRetry: after(delivery.recordRetry.bind(delivery), (job) => [job.message.accountId]),
      recordTerminal: after(delivery.recordTerminal.bind(delivery), (change) => [change.accountId ?? change.callback?.accountId]),
      acceptInbound: after(delivery.acceptInbound.bind(delivery), (copies) => copies.map((c) => c.message.accountId)),
      claimCallbacks,
      recordCallbackAttempt: after(delivery.recordCallbackAttempt.bind(delivery), (id) => callbackAccount(id)),
    }),
  });
}
