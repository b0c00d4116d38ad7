// The simulated carrier against a real store, on each storage engine (its receipts and runtime
// settings live in the database; on PostgreSQL a drain leases the receipts it takes).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import {
  CarrierError,
  type CarrierEvents,
  type CarrierInbound,
  type CarrierState,
  type CarrierSubmission,
  type DeliveryReceipt,
} from '../../src/core/delivery/carrier.js';
import { mulberry32 } from '../../src/shared/seeded-random.js';
import {
  parseRules,
  parseSimulatorConfig,
  SimulatorRuleError,
  type SimulatorDefaults,
  type SimulatorRule,
} from '../../src/carriers/simulator/rules.js';
import { RULES_SETTING, SimulatorCarrier, type SimulatorCarrierOptions } from '../../src/carriers/simulator/simulator-carrier.js';
import { TEST_NUMBERS } from '../../src/carriers/simulator/test-numbers.js';
import type { Store } from '../../src/core/ports.js';
import { openStore } from '../../src/store/open-store.js';
import { BACKENDS, createTestDatabase, type Backend, type TestDatabase } from '../helpers/databases.js';

const databases: TestDatabase[] = [];
const stores: Store[] = [];
const carriers: SimulatorCarrier[] = [];

after(async () => {
  for (const carrier of carriers) await carrier.stop();
  for (const store of stores) await store.close();
  for (const database of databases) await database.drop();
});

/** A store on a database of its own: each test starts with no receipts and no settings. */
async function freshStore(backend: Backend): Promise<Store> {
  const database = await createTestDatabase(backend);
  databases.push(database);
  const store = await openStore(database.url);
  stores.push(store);
  return store;
}

const DEFAULTS: SimulatorDefaults = { latencyMs: 0, failureProbability: 0, failureErrorCode: 4720, seed: 1 };

function simulator(store: Store, options: Partial<SimulatorCarrierOptions> = {}): SimulatorCarrier {
  const carrier = new SimulatorCarrier({
    store: store.simulator,
    settings: {
      get: (key) => store.delivery.getSetting(key),
      put: (key, value, time) => store.delivery.putSetting(key, value, time),
    },
    now: Date.now,
    defaults: DEFAULTS,
    rules: [],
    ...options,
  });
  carriers.push(carrier);
  return carrier;
}

interface Collected {
  events: CarrierEvents;
  receipts: DeliveryReceipt[];
  arrivals: Map<string, number>;
  inbound: CarrierInbound[];
  states: CarrierState[];
}

function collector(): Collected {
  const c: Collected = {
    receipts: [],
    arrivals: new Map(),
    inbound: [],
    states: [],
    events: {
      receipt: async (receipt) => {
        c.receipts.push(receipt);
        c.arrivals.set(receipt.carrierMessageId, Date.now());
      },
      inbound: async (message) => {
        c.inbound.push(message);
      },
      stateChanged: (state) => {
        c.states.push(state);
      },
    },
  };
  return c;
}

async function started(store: Store, options: Partial<SimulatorCarrierOptions> = {}) {
  const carrier = simulator(store, options);
  const collected = collector();
  await carrier.start(collected.events);
  // A receipt due at once comes with the submit's answer (SubmitResult.receipt), and the delivery
  // worker records it with the submit; here it joins the receipts handed over later, so that every
  // outcome is asserted alike. 'answers a receipt due at once with the submit' covers the difference.
  const submit = carrier.submit.bind(carrier);
  carrier.submit = async (submission) => {
    const result = await submit(submission);
    if (result.receipt) await collected.events.receipt(result.receipt);
    return result;
  };
  return { carrier, ...collected };
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The one carrier id the simulator gives a submit (it sends every message whole). */
function idOf(result: { carrierMessageIds: readonly string[] }): string {
  assert.equal(result.carrierMessageIds.length, 1);
  return result.carrierMessageIds[0] as string;
}

function message(overrides: Partial<CarrierSubmission> = {}): CarrierSubmission {
  const destination = overrides.destination ?? '+15551234567';
  return {
    messageId: randomUUID(),
    from: '+15550001111',
    destination,
    recipients: [destination],
    text: 'hello',
    media: undefined,
    type: 'sms',
    segmentCount: 1,
    attempt: 1,
    ...overrides,
  };
}

async function receiptOf(c: Collected, carrierMessageId: string): Promise<DeliveryReceipt> {
  await waitFor(() => c.receipts.some((r) => r.carrierMessageId === carrierMessageId), `receipt ${carrierMessageId}`);
  return c.receipts.find((r) => r.carrierMessageId === carrierMessageId) as DeliveryReceipt;
}

async function refusal(promise: Promise<unknown>): Promise<CarrierError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof CarrierError, `expected a CarrierError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the submit to be refused');
}

function ruleError(work: () => unknown): SimulatorRuleError {
  try {
    work();
  } catch (err) {
    assert.ok(err instanceof SimulatorRuleError, `expected a SimulatorRuleError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a SimulatorRuleError');
}

describe('simulator carrier: test numbers and rule validation', () => {
  it('documents every number with an outcome and a description', () => {
    assert.ok(TEST_NUMBERS.length >= 10);
    assert.equal(new Set(TEST_NUMBERS.map((t) => t.number)).size, TEST_NUMBERS.length);
    for (const t of TEST_NUMBERS) {
      assert.match(t.number, /^\+150055500\d\d$/);
      assert.ok(t.description.length > 10);
      // The table is the same format as rules, so it can be shown or copied as one.
      parseRules([{ to: t.number, ...t.outcome }]);
    }
  });

  it('names the rule index and field of each error', () => {
    const badCode = ruleError(() =>
      parseRules([
        { to: '+15551234567', outcome: 'deliver' },
        { to: '+1555*', outcome: 'fail', errorCode: 123 },
      ]),
    );
    assert.match(badCode.message, /^rules\[1\]\.errorCode: .*4000 to 9999/);
    assert.deepEqual(badCode.issues.map((i) => i.path), ['rules[1].errorCode']);

    assert.match(ruleError(() => parseRules([{ to: '*', text: '(unclosed', outcome: 'deliver' }])).message, /^rules\[0\]\.text: is not a valid regular expression/);
    assert.match(
      ruleError(() => parseRules([{ to: '*', outcome: 'deliver' }, { to: '*', outcome: 'deliver' }, { to: '*', outcome: 'explode' }])).message,
      /^rules\[2\]\.outcome: must be one of deliver, fail, no-receipt, transient, reject/,
    );
    assert.match(ruleError(() => parseRules([{ to: '5551234', outcome: 'deliver' }])).message, /^rules\[0\]\.to: /);
    assert.match(ruleError(() => parseRules([{ to: '*', outcome: 'reject', errorCode: 4404.5 }])).message, /^rules\[0\]\.errorCode: /);
    assert.match(ruleError(() => parseRules([{ to: '*', outcome: 'reject' }])).message, /^rules\[0\]\.errorCode: /);
    assert.match(ruleError(() => parseRules([{ to: '*', outcome: 'deliver', delayMs: -1 }])).message, /^rules\[0\]\.delayMs: /);
    assert.match(ruleError(() => parseRules([{ to: '*', outcome: 'deliver', color: 'red' }])).message, /^rules\[0\]: Unrecognized key/);
    assert.match(ruleError(() => parseRules([{ to: '*', outcome: 'transient', failures: 'sometimes' }])).message, /^rules\[0\]\.failures: /);
    assert.match(
      ruleError(() => parseRules([{ id: 'a', to: '*', outcome: 'deliver' }, { id: 'a', to: '*', outcome: 'deliver' }])).message,
      /^rules\[1\]\.id: duplicates the id of rules\[0\]/,
    );
    assert.match(ruleError(() => parseRules({ rules: [] })).message, /^rules: must be a list of rules/);
  });

  it('fills in ids from the position, avoiding ids already given', () => {
    const rules = parseRules([
      { to: '*', outcome: 'deliver' },
      { id: 'rule-1', to: '*', outcome: 'deliver' },
      { to: '*', outcome: 'no-receipt', description: 'silence' },
    ]);
    assert.deepEqual(rules.map((r) => r.id), ['rule-2', 'rule-1', 'rule-3']);
    assert.equal(rules[2]?.description, 'silence');
  });

  it('validates the config section, with defaults', () => {
    assert.deepEqual(parseSimulatorConfig(undefined), { latencyMs: 0, failureProbability: 0, failureErrorCode: 4720, seed: 1, rules: [], receiptLeaseSeconds: 30 });
    const config = parseSimulatorConfig({ latencyMs: 250, failureProbability: 0.1, rules: [{ to: '+1555*', outcome: 'no-receipt' }] });
    assert.equal(config.latencyMs, 250);
    assert.equal(config.rules[0]?.id, 'rule-1');
    assert.match(ruleError(() => parseSimulatorConfig({ failureProbability: 2 })).message, /^simulator\.failureProbability: must be a number from 0 to 1/);
    for (const lease of [0, 3601, '30']) {
      assert.match(ruleError(() => parseSimulatorConfig({ receiptLeaseSeconds: lease })).message, /^simulator\.receiptLeaseSeconds: must be a number of seconds from 1 to 3600/);
    }
    assert.match(
      ruleError(() => parseSimulatorConfig({ rules: [{ to: '*', outcome: 'fail', errorCode: 99 }] })).message,
      /^simulator\.rules\[0\]\.errorCode: /,
    );
    assert.match(ruleError(() => parseSimulatorConfig({ latency: 5 })).message, /^simulator: Unrecognized key/);
  });
});

for (const backend of BACKENDS) {
  describe(`simulator carrier: rules (${backend})`, () => {
    it('applies the first matching rule, in order', async () => {
      const store = await freshStore(backend);
      const sim = await started(store, {
        rules: parseRules([
          { to: '+15551110000', outcome: 'reject', errorCode: 4404 },
          { to: '+1555*', outcome: 'fail', errorCode: 4750 },
          { to: '*', outcome: 'deliver' },
        ]),
      });
      const rejected = await refusal(sim.carrier.submit(message({ destination: '+15551110000' })));
      assert.equal(rejected.errorCode, 4404);
      const submittedAt = Date.now();
      const failed = await sim.carrier.submit(message({ destination: '+15552220000' }));
      const { time, ...receipt } = await receiptOf(sim, idOf(failed));
      assert.deepEqual(receipt, { carrierMessageId: idOf(failed), delivered: false, errorCode: 4750 });
      // The carrier's clock when it reported the outcome: after the submit, not after the test saw it.
      assert.ok(time >= submittedAt && time <= Date.now(), `receipt time ${time} outside [${submittedAt}, now]`);
      const delivered = await sim.carrier.submit(message({ destination: '+14440000000' }));
      assert.equal((await receiptOf(sim, idOf(delivered))).delivered, true);
    });

    it('matches on sender prefix and on a text regular expression', async () => {
      const store = await freshStore(backend);
      const sim = await started(store, {
        rules: parseRules([
          { to: '+1444*', from: '+1999*', outcome: 'reject', errorCode: 4481 },
          { to: '*', text: '^fail me\\b', outcome: 'fail', errorCode: 4770 },
          { to: '*', from: 'ACME', outcome: 'fail', errorCode: 4740 },
        ]),
      });
      assert.equal((await refusal(sim.carrier.submit(message({ destination: '+14441234567', from: '+19990000000' })))).errorCode, 4481);
      // Same destination, other sender: the first rule does not apply.
      const otherSender = await sim.carrier.submit(message({ destination: '+14441234567', from: '+18880000000' }));
      assert.equal((await receiptOf(sim, idOf(otherSender))).delivered, true);

      const spam = await sim.carrier.submit(message({ text: 'fail me now' }));
      assert.equal((await receiptOf(sim, idOf(spam))).errorCode, 4770);
      const notSpam = await sim.carrier.submit(message({ text: 'please fail me' }));
      assert.equal((await receiptOf(sim, idOf(notSpam))).delivered, true);
      // A message without text is matched as '' by text rules.
      const mms = await sim.carrier.submit(message({ text: undefined, type: 'mms', media: ['https://example.com/a.png'] }));
      assert.equal((await receiptOf(sim, idOf(mms))).delivered, true);

      const sender = await sim.carrier.submit(message({ from: 'ACME' }));
      assert.equal((await receiptOf(sim, idOf(sender))).errorCode, 4740);
    });

    it('rules come before test numbers', async () => {
      const store = await freshStore(backend);
      const sim = await started(store, { rules: parseRules([{ to: '+15005550012', outcome: 'deliver' }]) });
      const accepted = await sim.carrier.submit(message({ destination: '+15005550012' }));
      assert.equal((await receiptOf(sim, idOf(accepted))).delivered, true);
    });
  });

  describe(`simulator carrier: outcomes (${backend})`, () => {
    it('deliver and fail send receipts; no-receipt accepts and never sends one', async () => {
      const store = await freshStore(backend);
      const sim = await started(store, {
        rules: parseRules([
          { to: '+15550000001', outcome: 'no-receipt' },
          { to: '+15550000002', outcome: 'deliver', delayMs: 10 },
          { to: '+15550000003', outcome: 'fail', errorCode: 4702, delayMs: 10 },
        ]),
      });
      const silent = await sim.carrier.submit(message({ destination: '+15550000001' }));
      assert.match(idOf(silent), /^sim-/);
      const delivered = await sim.carrier.submit(message({ destination: '+15550000002' }));
      const failed = await sim.carrier.submit(message({ destination: '+15550000003' }));
      assert.equal(new Set([idOf(silent), idOf(delivered), idOf(failed)]).size, 3);

      assert.equal((await receiptOf(sim, idOf(delivered))).delivered, true);
      const failure = await receiptOf(sim, idOf(failed));
      assert.equal(failure.delivered, false);
      assert.equal(failure.errorCode, 4702);
      // The controls, submitted after it, have come and gone; nothing is owed for the silent one.
      await waitFor(async () => (await store.simulator.nextReceiptDueAt()) === undefined, 'the receipt store to empty');
      assert.equal(sim.receipts.some((r) => r.carrierMessageId === idOf(silent)), false);
      assert.equal(sim.receipts.length, 2);
    });

    it('transient: the first N attempts are refused as retryable, counted by attempt, then delivered', async () => {
      const store = await freshStore(backend);
      const rules = parseRules([{ to: '+15550000004', outcome: 'transient', failures: 3 }]);
      const first = await started(store, { rules });
      const sms = message({ destination: '+15550000004' });
      for (const attempt of [1, 2]) {
        const err = await refusal(first.carrier.submit({ ...sms, attempt }));
        assert.equal(err.transient, true);
        assert.equal(err.errorCode, 5600);
      }
      await first.carrier.stop();
      // A restarted simulator keeps counting from the submission's attempt, not from memory.
      const second = await started(store, { rules });
      assert.equal((await refusal(second.carrier.submit({ ...sms, attempt: 3 }))).transient, true);
      const accepted = await second.carrier.submit({ ...sms, attempt: 4 });
      assert.equal((await receiptOf(second, idOf(accepted))).delivered, true);
    });

    it('transient with its own error code, and reject', async () => {
      const store = await freshStore(backend);
      const sim = await started(store, {
        rules: parseRules([
          { to: '+15550000005', outcome: 'transient', failures: 1, errorCode: 5220 },
          { to: '+15550000006', outcome: 'reject', errorCode: 4432 },
        ]),
      });
      const transient = await refusal(sim.carrier.submit(message({ destination: '+15550000005' })));
      assert.deepEqual([transient.transient, transient.errorCode], [true, 5220]);
      const rejected = await refusal(sim.carrier.submit(message({ destination: '+15550000006' })));
      assert.deepEqual([rejected.transient, rejected.errorCode], [false, 4432]);
      assert.equal(await store.simulator.nextReceiptDueAt(), undefined);
    });

    it('a delayed receipt does not come before its delay', async () => {
      const store = await freshStore(backend);
      const sim = await started(store, { rules: parseRules([{ to: '*', outcome: 'deliver', delayMs: 200 }]) });
      const submittedAt = Date.now();
      const carrierMessageId = idOf(await sim.carrier.submit(message()));
      const receipt = await receiptOf(sim, carrierMessageId);
      assert.ok(receipt.time - submittedAt >= 200, `receipt time ${receipt.time - submittedAt} ms after submit`);
      assert.ok((sim.arrivals.get(carrierMessageId) ?? 0) - submittedAt >= 200);
    });

    it('uses the default latency and seeded failure rate for everything else', async () => {
      const store = await freshStore(backend);
      const sim = await started(store, { defaults: { latencyMs: 150, failureProbability: 1, failureErrorCode: 4750, seed: 9 } });
      const submittedAt = Date.now();
      const carrierMessageId = idOf(await sim.carrier.submit(message()));
      const receipt = await receiptOf(sim, carrierMessageId);
      assert.deepEqual([receipt.delivered, receipt.errorCode], [false, 4750]);
      assert.ok(receipt.time - submittedAt >= 150);
    });
  });

  describe(`simulator carrier: test numbers (${backend})`, () => {
    it('each test number behaves as documented', async () => {
      const store = await freshStore(backend);
      const sim = await started(store);
      const { carrier } = sim;
      const number = (n: string) => message({ destination: n });
      const receipt = async (n: string) => receiptOf(sim, idOf(await carrier.submit(number(n))));

      assert.equal((await receipt('+15005550000')).delivered, true);
      for (const [n, code] of [
        ['+15005550001', 4720],
        ['+15005550002', 4700],
        ['+15005550003', 4702],
        ['+15005550004', 4775],
        ['+15005550005', 4770],
      ] as const) {
        const r = await receipt(n);
        assert.deepEqual([r.delivered, r.errorCode], [false, code], n);
      }

      // No receipt: the store owes nothing for it.
      const silent = await carrier.submit(number('+15005550010'));
      await waitFor(async () => (await store.simulator.nextReceiptDueAt()) === undefined, 'the receipt store to empty');
      assert.equal(sim.receipts.some((r) => r.carrierMessageId === idOf(silent)), false);

      const twice = number('+15005550011');
      for (const attempt of [1, 2]) {
        const err = await refusal(carrier.submit({ ...twice, attempt }));
        assert.deepEqual([err.transient, err.errorCode], [true, 5600]);
      }
      assert.equal((await receiptOf(sim, idOf(await carrier.submit({ ...twice, attempt: 3 })))).delivered, true);

      const rejected = await refusal(carrier.submit(number('+15005550012')));
      assert.deepEqual([rejected.transient, rejected.errorCode], [false, 4404]);

      // Five seconds is too long to wait for here; the store shows when the receipt is due.
      const before = Date.now();
      const late = await carrier.submit(number('+15005550013'));
      const owed = await store.simulator.dueReceipts(before + 60_000, 10);
      const row = owed.find((r) => r.carrierMessageId === idOf(late));
      assert.ok(row);
      assert.ok(row.dueAt - before >= 5000 && row.dueAt - Date.now() <= 5000, `due ${row.dueAt - before} ms after submit`);

      const always = number('+15005550014');
      for (const attempt of [1, 2, 3, 10, 100]) {
        const err = await refusal(carrier.submit({ ...always, attempt }));
        assert.deepEqual([err.transient, err.errorCode], [true, 5600]);
      }
    });
  });

  describe(`simulator carrier: random failures (${backend})`, () => {
    async function outcomes(store: Store, seed: number, count: number): Promise<boolean[]> {
      const sim = await started(store, { defaults: { latencyMs: 0, failureProbability: 0.3, failureErrorCode: 4750, seed } });
      // Concurrent submits draw in call order, so the sequence is the same as one by one.
      const ids = (await Promise.all(Array.from({ length: count }, () => sim.carrier.submit(message())))).map(idOf);
      await waitFor(() => sim.receipts.length === count, `${count} receipts`, 20_000);
      const delivered = new Map(sim.receipts.map((r) => [r.carrierMessageId, r.delivered]));
      await sim.carrier.stop();
      return ids.map((id) => delivered.get(id) as boolean);
    }

    it('is deterministic for a seed and close to the configured rate', async () => {
      const a = await outcomes(await freshStore(backend), 42, 1000);
      const b = await outcomes(await freshStore(backend), 42, 1000);
      assert.deepEqual(a, b);
      const failures = a.filter((delivered) => !delivered).length;
      assert.ok(failures > 250 && failures < 350, `${failures} of 1000 failed at p = 0.3`);
      const other = await outcomes(await freshStore(backend), 43, 1000);
      assert.notDeepEqual(other, a);
    });

    it('setting the seed again restarts the sequence', async () => {
      const store = await freshStore(backend);
      const sim = await started(store);
      const draw = async () => {
        const ids: string[] = [];
        for (let i = 0; i < 20; i++) ids.push(idOf(await sim.carrier.submit(message())));
        await waitFor(() => ids.every((id) => sim.arrivals.has(id)), 'receipts');
        return ids.map((id) => sim.receipts.find((r) => r.carrierMessageId === id)?.delivered);
      };
      await sim.carrier.setDefaults({ seed: 7, failureProbability: 0.5 });
      const first = await draw();
      await sim.carrier.setDefaults({ seed: 7 });
      assert.deepEqual(await draw(), first);
      // And the sequence is mulberry32's for that seed.
      const rng = mulberry32(7);
      assert.deepEqual(first, Array.from({ length: 20 }, () => !(rng() < 0.5)));
    });
  });

  describe(`simulator carrier: validation (${backend})`, () => {
    it('rejects bad runtime changes without changing anything', async () => {
      const store = await freshStore(backend);
      const sim = await started(store, { rules: parseRules([{ to: '+1555*', outcome: 'deliver' }]) });
      await assert.rejects(sim.carrier.setRules([{ to: '*', outcome: 'fail', errorCode: 1 }]), /rules\[0\]\.errorCode/);
      await assert.rejects(sim.carrier.addRule({ to: '*', outcome: 'nope' }), /rules\[1\]\.outcome/);
      await assert.rejects(sim.carrier.addRule({ to: '*', outcome: 'deliver' }, 5), /index: must be an integer from 0 to 1/);
      await assert.rejects(sim.carrier.setDefaults({ failureProbability: -0.1 }), /defaults\.failureProbability/);
      await assert.rejects(sim.carrier.setDefaults({ latency: 5 }), SimulatorRuleError);
      assert.deepEqual(await sim.carrier.getRules(), [{ id: 'rule-1', to: '+1555*', outcome: 'deliver' }]);
      assert.deepEqual(await sim.carrier.getDefaults(), DEFAULTS);
      assert.equal(await store.delivery.getSetting(RULES_SETTING), undefined);
    });
  });

  describe(`simulator carrier: runtime changes (${backend})`, () => {
    it('adds, removes and replaces rules, and resets to the config file', async () => {
      const store = await freshStore(backend);
      const configRules = parseRules([{ to: '*', outcome: 'deliver', description: 'from the config file' }]);
      const sim = await started(store, { rules: configRules });
      const { carrier } = sim;
      const added = await carrier.addRule({ to: '+15550000009', outcome: 'reject', errorCode: 4404 });
      // Appended after the catch-all, it never matches; at index 0 it wins.
      assert.equal(added.id, 'rule-2');
      await carrier.submit(message({ destination: '+15550000009' }));
      const first = await carrier.addRule({ id: 'block', to: '+15550000009', outcome: 'reject', errorCode: 4482 }, 0);
      assert.equal(first.id, 'block');
      assert.equal((await refusal(carrier.submit(message({ destination: '+15550000009' })))).errorCode, 4482);
      assert.deepEqual((await carrier.getRules()).map((r) => r.id), ['block', 'rule-1', 'rule-2']);

      assert.equal(await carrier.removeRule('block'), true);
      assert.equal(await carrier.removeRule('block'), false);
      await carrier.submit(message({ destination: '+15550000009' }));

      const replaced = await carrier.setRules([{ to: '*', outcome: 'no-receipt' }]);
      assert.deepEqual(replaced, [{ id: 'rule-1', to: '*', outcome: 'no-receipt' }]);
      assert.deepEqual(await carrier.setDefaults({ latencyMs: 50 }), { ...DEFAULTS, latencyMs: 50 });

      await carrier.reset();
      assert.deepEqual(await carrier.getRules(), configRules);
      assert.deepEqual(await carrier.getDefaults(), DEFAULTS);
    });

    it('a second instance on the same store sees runtime rules after the cache TTL', async () => {
      const store = await freshStore(backend);
      const a = await started(store);
      const b = await started(store);
      // b has read (and cached) the empty rule set.
      await b.carrier.submit(message({ destination: '+15557770000' }));
      await a.carrier.setRules([{ to: '+15557770000', outcome: 'reject', errorCode: 4404 }]);
      // a sees its own change at once.
      assert.equal((await refusal(a.carrier.submit(message({ destination: '+15557770000' })))).errorCode, 4404);
      // b's cached copy expires after a second (SETTINGS_TTL_MS); the wait allows for a loaded machine.
      await waitFor(async () => {
        try {
          await b.carrier.submit(message({ destination: '+15557770000' }));
          return false;
        } catch (err) {
          return err instanceof CarrierError && err.errorCode === 4404;
        }
      }, 'the other instance to pick up the rule', 30_000);
      assert.deepEqual(await b.carrier.getRules(), await a.carrier.getRules());
    });

    it('stored rules that no longer validate fall back to the config file and are reported', async () => {
      const store = await freshStore(backend);
      await store.delivery.putSetting(RULES_SETTING, JSON.stringify([{ to: '*', outcome: 'explode' }]), Date.now());
      const errors: unknown[] = [];
      const sim = await started(store, {
        rules: parseRules([{ to: '*', outcome: 'reject', errorCode: 4001 }]),
        onError: (err) => errors.push(err),
      });
      assert.equal((await refusal(sim.carrier.submit(message()))).errorCode, 4001);
      assert.equal(errors.length, 1);
      assert.match(String(errors[0]), /ignoring the stored simulator\.rules: rules\[0\]\.outcome/);
    });
  });

  describe(`simulator carrier: store and forward (${backend})`, () => {
    it('receipts owed at stop are delivered by a new instance on the same store', async () => {
      const store = await freshStore(backend);
      const rules: SimulatorRule[] = parseRules([
        { to: '+15550000010', outcome: 'deliver', delayMs: 1000 },
        { to: '+15550000011', outcome: 'fail', errorCode: 4721 },
      ]);
      const before = await started(store, { rules });
      const later = await before.carrier.submit(message({ destination: '+15550000010' }));
      // Due at once: the stopping instance may or may not have handed it over (on a loaded machine
      // its timer can run before stop()); either way it is handed over exactly once.
      const now = await before.carrier.submit(message({ destination: '+15550000011' }));
      await before.carrier.stop();
      assert.deepEqual(before.states, ['connecting', 'connected', 'disconnected']);
      const takenBefore = new Set(before.receipts.map((r) => r.carrierMessageId));
      assert.ok(!takenBefore.has(idOf(later)), 'the receipt due in a second was still owed at stop');

      const after = await started(store, { rules });
      const failed = takenBefore.has(idOf(now))
        ? (before.receipts.find((r) => r.carrierMessageId === idOf(now)) as DeliveryReceipt)
        : await receiptOf(after, idOf(now));
      assert.deepEqual([failed.delivered, failed.errorCode], [false, 4721]);
      assert.equal((await receiptOf(after, idOf(later))).delivered, true);
      await waitFor(async () => (await store.simulator.nextReceiptDueAt()) === undefined, 'the receipt store to empty');
      const all = [...before.receipts, ...after.receipts].map((r) => r.carrierMessageId).sort();
      assert.deepEqual(all, [idOf(later), idOf(now)].sort(), 'each receipt handed over once, by one instance');
    });

    it('answers a receipt due at once with the submit and stores nothing, and stores one due later', async () => {
      const store = await freshStore(backend);
      const rules = parseRules([{ to: '+15550000010', outcome: 'deliver', delayMs: 60_000 }]);
      const carrier = simulator(store, { rules });
      const handed: DeliveryReceipt[] = [];
      await carrier.start({ receipt: async (r) => void handed.push(r), inbound: async () => {}, stateChanged: () => {} });
      const before = Date.now();
      const now = await carrier.submit(message({ destination: '+15550000020' }));
      const failing = await carrier.submit(message({ destination: '+15005550001' }));
      assert.deepEqual(now.receipt && [now.receipt.carrierMessageId, now.receipt.delivered], [idOf(now), true]);
      assert.ok(now.receipt && now.receipt.time >= before && now.receipt.time <= Date.now(), 'the receipt is timed now');
      assert.deepEqual(failing.receipt && [failing.receipt.delivered, failing.receipt.errorCode], [false, 4720]);
      assert.equal(await store.simulator.nextReceiptDueAt(), undefined, 'nothing stored for a receipt due at once');
      const later = await carrier.submit(message({ destination: '+15550000010' }));
      assert.equal(later.receipt, undefined);
      const due = await store.simulator.nextReceiptDueAt();
      assert.ok(due !== undefined && due >= before + 60_000, 'the later receipt is stored, due in a minute');
      await carrier.stop();
      assert.deepEqual(handed, [], 'no receipt is handed over again as an event');
    });

    it('retries a receipt Pigeon could not record, and deletes it only once recorded', async () => {
      const store = await freshStore(backend);
      const errors: unknown[] = [];
      // Due after a millisecond: stored, and handed over by the drain (one due at once comes with the submit).
      const carrier = simulator(store, { defaults: { ...DEFAULTS, latencyMs: 1 }, onError: (err) => errors.push(err) });
      const recorded: DeliveryReceipt[] = [];
      // Whether the receipt was still owed at each refusal, asserted after the fact: the simulator
      // hands errors thrown here to onError, so an assertion inside the callback could not fail the test.
      const owedAtRefusal: boolean[] = [];
      await carrier.start({
        receipt: async (receipt) => {
          if (owedAtRefusal.length < 2) {
            // Asked without taking it: on PostgreSQL, dueReceipts would lease it away from the drain
            // that is delivering it.
            owedAtRefusal.push((await store.simulator.nextReceiptDueAt()) !== undefined);
            throw new Error('database is locked');
          }
          recorded.push(receipt);
        },
        inbound: async () => {},
        stateChanged: () => {},
      });
      const carrierMessageId = idOf(await carrier.submit(message()));
      await waitFor(() => recorded.length === 1, 'the receipt after two refusals');
      assert.equal(recorded[0]?.carrierMessageId, carrierMessageId);
      assert.deepEqual(owedAtRefusal, [true, true], 'still owed while Pigeon refused it');
      // A store failure is a fault every time it happens.
      assert.deepEqual(errors.map((err) => (err as Error).message), ['database is locked', 'database is locked']);
      await waitFor(async () => (await store.simulator.nextReceiptDueAt()) === undefined, 'the receipt store to empty');
    });

    it('keeps up with a burst of submits', async () => {
      const store = await freshStore(backend);
      const sim = await started(store, { defaults: { ...DEFAULTS, latencyMs: 20 } });
      const results = await Promise.all(Array.from({ length: 3000 }, () => sim.carrier.submit(message())));
      // How fast is the bench's business; here every receipt must come, each once.
      await waitFor(() => sim.receipts.length === results.length, 'all receipts', 120_000);
      assert.equal(new Set(results.map(idOf)).size, results.length);
      assert.equal(new Set(sim.receipts.map((r) => r.carrierMessageId)).size, results.length);
    });
  });

  describe(`simulator carrier: connection (${backend})`, () => {
    it('reports its state, refuses submits while disconnected, and injects inbound messages', async () => {
      const store = await freshStore(backend);
      const carrier = simulator(store);
      const c = collector();
      assert.equal(carrier.state(), 'disconnected');
      const refused = await refusal(carrier.submit(message()));
      assert.equal(refused.transient, true);
      await assert.rejects(carrier.inject({ from: '+15551234567', to: ['+15550001111'], text: 'hi', media: [], time: Date.now() }));

      await carrier.start(c.events);
      assert.equal(carrier.state(), 'connected');
      await assert.rejects(carrier.start(c.events), /already started/);
      const inbound: CarrierInbound = { from: '+15551234567', to: ['+15550001111'], text: 'STOP', media: [], time: Date.now() };
      await carrier.inject(inbound);
      assert.deepEqual(c.inbound, [inbound]);

      await carrier.stop();
      assert.equal(carrier.state(), 'disconnected');
      assert.deepEqual(c.states, ['connecting', 'connected', 'disconnected']);
      await carrier.stop();
      assert.deepEqual(c.states, ['connecting', 'connected', 'disconnected']);
    });
  });
}
