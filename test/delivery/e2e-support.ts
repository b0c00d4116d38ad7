// Shared pieces of the end-to-end delivery tests: a Pigeon wired to a real callback receiver, config
// YAML with per-account throughput, and readers of the admin timeline. Waiting is always on events
// (the receiver's notifications, the admin /wait endpoint) or on short polls of observable state.
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { CallbackReceiver, type ReceiverOptions } from '../helpers/callback-receiver.js';
import { ACCOUNT_A, ACCOUNT_B, AUTH_A, fixtureConfigYaml, type FixtureOptions } from '../helpers/fixtures.js';
import { getJson, postMessage } from '../helpers/http.js';
import { BACKENDS, startPigeon, type Backend, type StartOptions, type TestPigeon } from '../helpers/pigeon.js';
import type { MessageView } from '../../src/core/admin/message-view.js';
import type { Message } from '../../src/core/messages/message.js';

export type CallbackEvent = ReturnType<CallbackReceiver['events']>[number];

export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Simulator test numbers (src/carriers/simulator/test-numbers.ts). */
export const TEST_NUMBER = {
  fail4720: '+15005550001',
  noReceipt: '+15005550010',
  transientTwice: '+15005550011',
  reject4404: '+15005550012',
  alwaysTransient: '+15005550014',
} as const;

export interface Harness {
  pigeon: TestPigeon;
  receiver: CallbackReceiver;
  close(): Promise<void>;
}

export interface HarnessOptions {
  backend: Backend;
  receiver?: ReceiverOptions;
  /** Credentials Pigeon sends (application callbackUsername/Password). */
  callbackCredentials?: { username: string; password: string };
  /** Extra top-level YAML (delivery, callbacks, simulator …). */
  extra?: string;
  /** Throughput overrides of account A / account B (the `throughput` object of the account). */
  throughputA?: Record<string, unknown>;
  throughputB?: Record<string, unknown>;
  /** Routes account B's and the second application's callbacks to the receiver too. */
  otherToReceiver?: boolean;
  /** Changes the config YAML before Pigeon starts (per-application settings). */
  editYaml?: (yaml: string) => string;
  /** Delivery in a worker thread, as `pigeon serve` runs on SQLite (main/worker-thread.ts). */
  workerThread?: boolean;
  /** Changes the loaded config before Pigeon starts (StartOptions.configure). */
  configure?: StartOptions['configure'];
}

/**
 * The deployments the end-to-end suites run against: each storage engine, and SQLite with delivery
 * in a thread of its own (the default of `pigeon serve` on a machine with several cores).
 */
export const DEPLOYMENTS: ReadonlyArray<{ name: string; backend: Backend; workerThread?: boolean }> = [
  ...BACKENDS.map((backend) => ({ name: backend, backend })),
  ...(BACKENDS.includes('sqlite') ? [{ name: 'sqlite, worker thread', backend: 'sqlite' as const, workerThread: true }] : []),
];

/** The shared fixture YAML, with `throughput` added to accounts A and/or B. */
export function configYaml(options: FixtureOptions & { throughputA?: Record<string, unknown>; throughputB?: Record<string, unknown> }): string {
  let yaml = fixtureConfigYaml(options);
  for (const [id, throughput] of [
    [ACCOUNT_A.id, options.throughputA],
    [ACCOUNT_B.id, options.throughputB],
  ] as const) {
    if (!throughput) continue;
    const line = `  - id: "${id}"\n`;
    assert.ok(yaml.includes(line), `fixture YAML has no account ${id}`);
    yaml = yaml.replace(line, `${line}    throughput: ${JSON.stringify(throughput)}\n`);
  }
  return yaml;
}

/** Starts a callback receiver, then a Pigeon whose main application posts its callbacks there. */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const receiver = await new CallbackReceiver(options.receiver).start();
  const edit = options.editYaml ?? ((yaml: string) => yaml);
  const pigeon = await startPigeon({
    backend: options.backend,
    workerThread: options.workerThread,
    configure: options.configure,
    configYaml: edit(configYaml({
      callbackUrl: receiver.url,
      callbackCredentials: options.callbackCredentials,
      otherCallbackUrl: options.otherToReceiver ? receiver.url : undefined,
      extra: options.extra,
      throughputA: options.throughputA,
      throughputB: options.throughputB,
    })),
  });
  return {
    pigeon,
    receiver,
    async close() {
      await pigeon.close();
      await receiver.stop();
    },
  };
}

/** POSTs a message, asserts the 202 and returns the create response. */
export async function send(
  pigeon: TestPigeon,
  body: Record<string, unknown>,
  options: { auth?: string; accountId?: string } = {},
): Promise<Record<string, unknown> & { id: string; time: string }> {
  const res = await postMessage(pigeon, body, options);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body as Record<string, unknown> & { id: string; time: string };
}

export interface ListItem {
  messageId: string;
  destinationTn: string;
  sourceTn: string;
  messageStatus: string;
  messageDirection: string;
  messageType: string;
  errorCode: number;
  segmentCount: number;
  [key: string]: unknown;
}

/** The records of one message from GET …/messages, sorted by destination. */
export async function records(pigeon: TestPigeon, messageId: string, auth = AUTH_A, accountId: string = ACCOUNT_A.id): Promise<ListItem[]> {
  const res = await getJson<{ totalCount: number; messages: ListItem[] }>(
    pigeon,
    `/api/v2/users/${accountId}/messages?messageId=${messageId}&sort=destinationTn:asc`,
    auth,
  );
  assert.equal(res.status, 200);
  return res.body.messages;
}

export type TimelineEvent = MessageView['events'][number];

export function view(pigeon: TestPigeon, messageId: string): Promise<MessageView> {
  return pigeon.admin<MessageView>('GET', `/messages/${messageId}`);
}

/** The statuses of one recipient's timeline, in order. */
export function statuses(events: readonly TimelineEvent[], destination?: string): string[] {
  return events.filter((e) => destination === undefined || e.destinationTn === destination).map((e) => e.status);
}

/** The time of a recipient's first event with `status`; fails when there is none. */
export function timeOf(events: readonly TimelineEvent[], status: string, destination?: string): number {
  const event = events.find((e) => e.status === status && (destination === undefined || e.destinationTn === destination));
  assert.ok(event, `no ${status} event${destination ? ` for ${destination}` : ''} in ${JSON.stringify(events)}`);
  return event.time;
}

export function assertNonDecreasing(times: readonly number[], what: string): void {
  for (let i = 1; i < times.length; i++) {
    assert.ok((times[i] as number) >= (times[i - 1] as number), `${what}: ${JSON.stringify(times)} decreases at ${i}`);
  }
}

/** The largest number of `times` inside any closed window of `windowMs`. */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) > windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/**
 * Re-reads observable state until `check` returns a value (not undefined); for state that emits no
 * event Pigeon could push (recorded callback attempts, an intermediate status). Fails after `timeoutMs`.
 */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The index in the receiver's arrival order of the first event matching `filter`. */
export function arrivalIndex(receiver: CallbackReceiver, filter: (e: CallbackEvent) => boolean): number {
  const index = receiver.events().findIndex(filter);
  assert.ok(index >= 0, 'event not received');
  return index;
}

/** The received request (headers included) that carried the first event matching `filter`. */
export function requestOf(receiver: CallbackReceiver, filter: (e: CallbackEvent) => boolean): CallbackReceiver['received'][number] {
  const found = receiver.received.find((r) => r.body.some(filter));
  assert.ok(found, 'no request carried the event');
  return found;
}

/**
 * Puts a receiver that never answers on the receiver's port: connections are accepted and requests
 * read, but no byte is sent back. `restore` drops those connections and starts the receiver again.
 */
export async function silenceReceiver(receiver: CallbackReceiver): Promise<{ connections(): number; restore(): Promise<void> }> {
  await receiver.stop();
  const sockets = new Set<Socket>();
  let accepted = 0;
  const silent = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.resume();
  });
  await new Promise<void>((resolve) => silent.listen(Number(new URL(receiver.url).port), '127.0.0.1', resolve));
  return {
    connections: () => accepted,
    async restore() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
      await receiver.start();
    },
  };
}

/** A one-segment outbound SMS as the store is given it, for the tests that drive the store directly. */
export function outboundSms(fields: Pick<Message, 'id' | 'accountId' | 'from' | 'time'> & Partial<Message>): Message {
  return {
    applicationId: 'store-test-app',
    direction: 'out',
    owner: fields.from,
    to: ['+19195550199'],
    text: 'x',
    media: undefined,
    tag: undefined,
    priority: 'default',
    expiration: undefined,
    expiresAt: undefined,
    segmentCount: 1,
    type: 'sms',
    ...fields,
  };
}
