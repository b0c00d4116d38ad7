// Observes the core at its ports, so that the core stays free of metrics: the store's methods that
// accept, end, receive and call back, and the carrier adapter's submits and receipts, are wrapped;
// everything else passes through untouched. A carrier or store method added later passes through
// too; to count it, add it here (carriers: submit and the receipt event; callbacks: recordCallbackAttempt).
import type { CarrierAdapter, CarrierEvents } from '../core/delivery/carrier.js';
import { CarrierError } from '../core/delivery/carrier.js';
import type { DeliveryStore, MessageStore, Store } from '../core/ports.js';
import type { PigeonMetrics } from './metrics.js';

/** `target` with some methods replaced; the others are its own, bound to it. */
export function intercept<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(t, prop) {
      if (Object.prototype.hasOwnProperty.call(overrides, prop)) return overrides[prop as keyof T];
      const value: unknown = Reflect.get(t, prop, t);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(t) : value;
    },
  });
}

export function instrumentStore(store: Store, metrics: PigeonMetrics): Store {
  const messages = store.messages;
  const delivery = store.delivery;
  const instrumentedMessages = intercept<MessageStore>(messages, {
    acceptOutbound: async (message, records) => {
      await messages.acceptOutbound(message, records);
      metrics.messagesAccepted.inc({ type: message.type });
    },
  });
  const instrumentedDelivery = intercept<DeliveryStore>(delivery, {
    recordTerminal: async (change) => {
      const ended = await delivery.recordTerminal(change);
      if (ended) metrics.recipientsEnded.inc({ status: change.status, error_code: String(change.errorCode ?? 0) });
      return ended;
    },
    acceptInbound: async (copies) => {
      await delivery.acceptInbound(copies);
      for (const { message } of copies) metrics.inboundMessages.inc({ type: message.type });
    },
    recordCallbackAttempt: async (...args: Parameters<DeliveryStore['recordCallbackAttempt']>) => {
      const result = await delivery.recordCallbackAttempt(...args);
      const [, , attempt, next] = args;
      metrics.callbackAttempts.inc({ outcome: next.state });
      metrics.callbackAttemptDuration.observe({ outcome: next.state }, attempt.latencyMs / 1000);
      return result;
    },
  });
  return intercept<Store>(store, { messages: instrumentedMessages, delivery: instrumentedDelivery });
}

/** Submit times of this process's submits, by carrier message id, for the receipt latency; bounded. */
const MAX_TRACKED_SUBMITS = 100_000;

export function instrumentCarrier(carrier: CarrierAdapter, metrics: PigeonMetrics, now: () => number): CarrierAdapter {
  const labels = { carrier: carrier.name };
  const submittedAt = new Map<string, number>();
  return intercept<CarrierAdapter>(carrier, {
    submit: async (submission) => {
      metrics.carrierSubmitsInFlight.inc(labels);
      const started = now();
      try {
        const result = await carrier.submit(submission);
        metrics.carrierSubmits.inc({ ...labels, outcome: 'accepted' });
        const time = now();
        for (const id of result.carrierMessageIds) {
          if (submittedAt.size >= MAX_TRACKED_SUBMITS) submittedAt.delete(submittedAt.keys().next().value as string);
          submittedAt.set(id, time);
        }
        return result;
      } catch (err) {
        const transient = !(err instanceof CarrierError) || err.transient;
        metrics.carrierSubmits.inc({ ...labels, outcome: transient ? 'transient_error' : 'permanent_error' });
        throw err;
      } finally {
        metrics.carrierSubmitsInFlight.dec(labels);
        metrics.carrierSubmitDuration.observe(labels, (now() - started) / 1000);
      }
    },
    start: (events: CarrierEvents) =>
      carrier.start({
        ...events,
        receipt: async (receipt) => {
          await events.receipt(receipt);
          const ids = [receipt.carrierMessageId, ...(receipt.alternateIds ?? [])];
          const id = ids.find((candidate) => submittedAt.has(candidate));
          if (id === undefined) return;
          const outcome = receipt.delivered ? 'delivered' : 'failed';
          metrics.submitToReceipt.observe({ ...labels, outcome }, Math.max(0, now() - (submittedAt.get(id) as number)) / 1000);
          submittedAt.delete(id);
        },
      }),
  });
}
