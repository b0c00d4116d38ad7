// The store's own change signal: every write that the console's message views show (acceptance,
// status changes, inbound copies, callback attempts) signals after it resolves. Wrapped at the port,
// like the metrics, so neither the core nor the engines know the console exists. Where processes
// share the database (PostgreSQL), the change is also announced to the others (NOTIFY on the
// `changes` channel), at most once per ANNOUNCE_MS so a busy process adds few notifications.
import type { DeliveryStore, MessageStore, Store } from '../core/ports.js';
import { intercept } from '../metrics/instrument.js';
import type { ChangeSignal } from '../shared/change-signal.js';

const ANNOUNCE_MS = 250;

export function observeChanges(store: Store, signal: ChangeSignal): Store {
  const messages = store.messages;
  const delivery = store.delivery;
  let announcing: NodeJS.Timeout | undefined;
  const announce = () => {
    if (!store.announce || announcing) return;
    announcing = setTimeout(() => {
      announcing = undefined;
      store.announce?.('changes');
    }, ANNOUNCE_MS);
    announcing.unref();
  };
  const after =
    <A extends unknown[], R>(method: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const result = await method(...args);
      signal.emit();
      announce();
      return result;
    };
  return intercept<Store>(store, {
    messages: intercept<MessageStore>(messages, { acceptOutbound: after(messages.acceptOutbound.bind(messages)) }),
    delivery: intercept<DeliveryStore>(delivery, {
      recordProgress: after(delivery.recordProgress.bind(delivery)),
      recordSubmitted: after(delivery.recordSubmitted.bind(delivery)),
      recordRetry: after(delivery.recordRetry.bind(delivery)),
      recordTerminal: after(delivery.recordTerminal.bind(delivery)),
      acceptInbound: after(delivery.acceptInbound.bind(delivery)),
      recordCallbackAttempt: after(delivery.recordCallbackAttempt.bind(delivery)),
    }),
  });
}
