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
    recordTerminal: async (change, sending) => {
      const ended = await delivery.recordTerminal(change, sending);
      if (ended) metrics.recipientsEnded.inc({ status: change.status, error_code: String(change.errorCode ?? 0) });
      return ended;
    },
    recordSubmitted: async (...args: Parameters<DeliveryStore['recordSubmitted']>) => {
      const recorded = await delivery.recordSubmitted(...args);
      const terminal = args[5]?.terminal;
      if (terminal && recorded.ended) metrics.recipientsEnded.inc({ status: terminal.status, error_code: String(terminal.errorCode ?? 0) });
      return recorded;
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

/** Insertion-ordered map that forgets its oldest entry past `limit`. */
function remember<V>(map: Map<string, V>, key: string, value: V, limit: number): void {
  if (map.size >= limit) map.delete(map.keys().next().value as string);
  map.set(key, value);
}

export function instrumentCarrier(carrier: CarrierAdapter, metrics: PigeonMetrics, now: () => number): CarrierAdapter {
  const labels = { carrier: carrier.name };
  const submittedAt = new Map<string, number>();
  // A receipt can overtake the acknowledgement of its own submit (an SMSC may send the receipt before
  // submit_sm_resp; the simulator's receipt row is visible before the submit's fsync ends). It waits
  // here for the submit to return, instead of going uncounted. Receipts for other processes' submits
  // wait too, until pushed out.
  const receivedEarly = new Map<string, { outcome: 'delivered' | 'failed'; at: number }>();
  const observe = (outcome: 'delivered' | 'failed', seconds: number) =>
    metrics.submitToReceipt.observe({ ...labels, outcome }, Math.max(0, seconds));
  return intercept<CarrierAdapter>(carrier, {
    submit: async (submission) => {
      metrics.carrierSubmitsInFlight.inc(labels);
      const started = now();
      try {
        const result = await carrier.submit(submission);
        metrics.carrierSubmits.inc({ ...labels, outcome: 'accepted' });
        const time = now();
        if (result.receipt) {
          // The outcome came with the submit: no receipt event will follow.
          observe(result.receipt.delivered ? 'delivered' : 'failed', (time - started) / 1000);
          return result;
        }
        for (const id of result.carrierMessageIds) {
          const early = receivedEarly.get(id);
          if (early === undefined) remember(submittedAt, id, time, MAX_TRACKED_SUBMITS);
          else {
            receivedEarly.delete(id);
            observe(early.outcome, (early.at - started) / 1000);
          }
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
          const at = now();
          await events.receipt(receipt);
          const outcome = receipt.delivered ? 'delivered' : 'failed';
          const ids = [receipt.carrierMessageId, ...(receipt.alternateIds ?? [])];
          const id = ids.find((candidate) => submittedAt.has(candidate));
          if (id === undefined) {
            for (const early of ids) remember(receivedEarly, early, { outcome, at }, MAX_TRACKED_SUBMITS);
            return;
          }
          observe(outcome, (at - (submittedAt.get(id) as number)) / 1000);
          submittedAt.delete(id);
        },
      }),
  });
}
