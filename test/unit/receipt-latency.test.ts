// pigeon_carrier_receipt_latency_seconds counts every receipt of this process's submits, whichever
// arrives first: the submit's acknowledgement or the receipt. An SMSC may send the receipt before
// submit_sm_resp, and the simulator's receipt row is visible before the submit's fsync has ended;
// such a receipt once went uncounted, and the metrics test failed on a loaded CI machine.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CarrierAdapter, CarrierEvents, DeliveryReceipt } from '../../src/core/delivery/carrier.js';
import { instrumentCarrier } from '../../src/metrics/instrument.js';
import { PigeonMetrics } from '../../src/metrics/metrics.js';
import { Exposition } from '../helpers/prometheus.js';

/** A carrier whose submit is acknowledged only when the test says so. */
class HeldCarrier implements CarrierAdapter {
  readonly name = 'held';
  events: CarrierEvents | undefined;
  private release: (() => void) | undefined;
  async start(events: CarrierEvents): Promise<void> {
    this.events = events;
  }
  submit(): Promise<{ carrierMessageIds: readonly string[] }> {
    return new Promise((resolve) => {
      this.release = () => resolve({ carrierMessageIds: ['c-1'] });
    });
  }
  acknowledge(): void {
    this.release?.();
  }
  state(): 'connected' {
    return 'connected';
  }
  async stop(): Promise<void> {}
}

const receipt = (carrierMessageId: string, delivered = true): DeliveryReceipt => ({ carrierMessageId, delivered, time: 0 });
const submission = {
  messageId: 'm',
  from: '+19195550100',
  destination: '+19195550101',
  recipients: ['+19195550101'],
  text: 'hi',
  media: undefined,
  type: 'sms' as const,
  segmentCount: 1,
  attempt: 1,
};

async function latencyCount(metrics: PigeonMetrics, outcome: string): Promise<number> {
  return new Exposition(await metrics.registry.metrics()).value('pigeon_carrier_receipt_latency_seconds', { carrier: 'held', outcome });
}

describe('receipt latency', () => {
  for (const order of ['acknowledged first', 'receipt first'] as const) {
    it(`counts a receipt once when the submit is ${order === 'acknowledged first' ? 'acknowledged before it' : 'acknowledged after it'}`, async () => {
      let clock = 1000;
      const carrier = new HeldCarrier();
      const metrics = new PigeonMetrics({ now: () => clock }, { processMetrics: false });
      const instrumented = instrumentCarrier(carrier, metrics, () => clock);
      await instrumented.start({ receipt: async () => {}, inbound: async () => {}, stateChanged: () => {} });
      const submitted = instrumented.submit(submission);
      clock = 1200;
      if (order === 'acknowledged first') {
        carrier.acknowledge();
        await submitted;
        clock = 1500;
        await carrier.events?.receipt(receipt('c-1'));
      } else {
        clock = 1500;
        await carrier.events?.receipt(receipt('c-1'));
        assert.equal(await latencyCount(metrics, 'delivered'), 0, 'not counted before its submit is known');
        carrier.acknowledge();
        await submitted;
      }
      assert.equal(await latencyCount(metrics, 'delivered'), 1);
      // A second receipt for the same id (a duplicate from the SMSC) is not counted again.
      await carrier.events?.receipt(receipt('c-1'));
      assert.equal(await latencyCount(metrics, 'delivered'), 1);
    });
  }
});
