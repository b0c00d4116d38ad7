// Ready-made destination numbers, each with one fixed outcome, like the magic numbers other providers
// publish: a test suite can exercise every path of its delivery handling without configuring the
// simulator first. They live in +1 500 555 00xx, a range no real subscriber uses.
// Rules are evaluated first, so a rule can still override a test number (a catch-all `to: '*'` does).
import type { SimulatorOutcome } from './rules.js';

export interface TestNumber {
  number: string;
  outcome: SimulatorOutcome;
  description: string;
}

/** The documented test numbers; printed by the README and the admin API, so keep the descriptions user-facing. */
export const TEST_NUMBERS: readonly TestNumber[] = Object.freeze([
  {
    number: '+15005550000',
    outcome: { outcome: 'deliver' },
    description: 'Delivered after the default latency.',
  },
  {
    number: '+15005550001',
    outcome: { outcome: 'fail', errorCode: 4720 },
    description: 'Failed by the carrier: 4720 invalid-destination-address (not a mobile number, landline).',
  },
  {
    number: '+15005550002',
    outcome: { outcome: 'fail', errorCode: 4700 },
    description: 'Failed by the carrier: 4700 invalid-service-type (the handset cannot take SMS/MMS).',
  },
  {
    number: '+15005550003',
    outcome: { outcome: 'fail', errorCode: 4702 },
    description: 'Failed by the carrier: 4702 destination-subscriber-unavailable (phone off, barred, storage full).',
  },
  {
    number: '+15005550004',
    outcome: { outcome: 'fail', errorCode: 4775 },
    description: 'Failed by the carrier: 4775 destination-rejected-due-to-user-opt-out (the recipient sent STOP).',
  },
  {
    number: '+15005550005',
    outcome: { outcome: 'fail', errorCode: 4770 },
    description: 'Failed by the carrier: 4770 destination-spam-detected.',
  },
  {
    number: '+15005550010',
    outcome: { outcome: 'no-receipt' },
    description: 'Accepted, but no delivery receipt ever comes; Pigeon fails it with 9902 after its receipt timeout.',
  },
  {
    number: '+15005550011',
    outcome: { outcome: 'transient', failures: 2, errorCode: 5600 },
    description: 'Refused twice with the transient 5600 destination-carrier-queue-full, delivered on the third attempt.',
  },
  {
    number: '+15005550012',
    outcome: { outcome: 'reject', errorCode: 4404 },
    description: 'Refused at submit, permanently: 4404 rejected-forbidden-to-number.',
  },
  {
    number: '+15005550013',
    outcome: { outcome: 'deliver', delayMs: 5000 },
    description: 'Delivered after 5 seconds (the message stays "sending" meanwhile).',
  },
  {
    number: '+15005550014',
    outcome: { outcome: 'transient', failures: 'always', errorCode: 5600 },
    description: 'Always refused with the transient 5600; Pigeon retries until its attempts run out (5201).',
  },
] satisfies TestNumber[]);

const BY_NUMBER = new Map(TEST_NUMBERS.map((t) => [t.number, t.outcome]));

export function testNumberOutcome(destination: string): SimulatorOutcome | undefined {
  return BY_NUMBER.get(destination);
}
