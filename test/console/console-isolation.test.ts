// What one console session can learn of others, on each engine: the live event stream carries only
// the changes of the session's own accounts; a session holds a bounded number of streams, which end
// at sign-out; sessions have an absolute lifetime; one user's sign-ins never end another user's
// sessions; the cookie is __Host- prefixed over HTTPS; and the Status page shows an account nothing
// of another's callbacks, also when both use the same callback URL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CallbackReceiver } from '../helpers/callback-receiver.js';
import { ACCOUNT_A, ACCOUNT_B, AUTH_A, AUTH_B, fixtureConfigYaml } from '../helpers/fixtures.js';
import { smsBody } from '../helpers/http.js';
import { ADMIN_TOKEN, BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

interface Signed {
  cookie: string;
  csrf: string;
}

async function signIn(pigeon: TestPigeon, body: object, headers: Record<string, string> = {}): Promise<Signed & { setCookie: string }> {
  const res = await pigeon.fetch('/console/api/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 201);
  const setCookie = res.headers.get('set-cookie') ?? '';
  return { setCookie, cookie: setCookie.split(';', 1)[0] ?? '', csrf: ((await res.json()) as { csrf: string }).csrf };
}

const asA = { accountId: ACCOUNT_A.id, username: ACCOUNT_A.username, password: ACCOUNT_A.password };
const asB = { accountId: ACCOUNT_B.id, username: ACCOUNT_B.username, password: ACCOUNT_B.password };

/** An open event stream: counts its change events and knows when the server ended it. */
class Stream {
  changes = 0;
  ended = false;
  private constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {
    void this.read();
  }

  static async open(pigeon: TestPigeon, cookie: string): Promise<Stream> {
    const res = await pigeon.fetch('/console/api/events', { headers: { cookie } });
    assert.equal(res.status, 200);
    return new Stream((res.body as ReadableStream<Uint8Array>).getReader());
  }

  async until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  close(): Promise<void> {
    return this.reader.cancel().catch(() => undefined);
  }

  private async read(): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await this.reader.read();
        if (done) break;
        this.changes += decoder.decode(value).split('event: change').length - 1;
      }
    } catch {
      // cancelled
    }
    this.ended = true;
  }
}

const send = async (pigeon: TestPigeon, auth: string, body: object) => {
  const res = await pigeon.fetch(`/api/v2/users/${auth === AUTH_A ? ACCOUNT_A.id : ACCOUNT_B.id}/messages`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 202);
  return String(((await res.json()) as { id: string }).id);
};

for (const backend of BACKENDS) {
  describe(`console isolation between sessions (${backend})`, () => {
    let pigeon: TestPigeon;
    let shared: CallbackReceiver;
    const streams: Stream[] = [];

    before(async () => {
      shared = await new CallbackReceiver().start();
      // B's application and A's second one share a callback URL, which fails.
      shared.status = 500;
      pigeon = await startPigeon({
        backend,
        configYaml: fixtureConfigYaml({
          otherCallbackUrl: shared.url,
          extra: 'console: { sessionsPerUser: 2, streamsPerSession: 2 }\ncallbacks: { retryInitialSeconds: 60 }\n',
        }),
        env: { PIGEON_TRUST_PROXY: 'true' },
        // On SQLite as `pigeon serve` runs it: deliveries in the worker thread, whose changes reach
        // the streams through the thread channel with their account ids.
        workerThread: backend === 'sqlite',
      });
    });
    after(async () => {
      for (const s of streams) await s.close();
      await pigeon?.close();
      await shared?.stop();
    });

    it("carries only the changes of the session's own accounts in its event stream", async () => {
      const a = await signIn(pigeon, asA);
      const b = await signIn(pigeon, asB);
      const admin = await signIn(pigeon, { token: ADMIN_TOKEN });
      const [aStream, bStream, adminStream] = [await Stream.open(pigeon, a.cookie), await Stream.open(pigeon, b.cookie), await Stream.open(pigeon, admin.cookie)];
      streams.push(aStream, bStream, adminStream);
      const bMessage = await send(pigeon, AUTH_B, smsBody({ applicationId: ACCOUNT_B.applicationId, from: ACCOUNT_B.number }));
      await pigeon.waitForMessage(bMessage);
      await bStream.until(() => bStream.changes > 0, "B's change on B's stream");
      await adminStream.until(() => adminStream.changes > 0, "B's change on the admin's stream");
      // B's message is delivered and its callback attempted; a change event would have come within
      // the stream's coalescing (250 ms) of each write.
      for (let i = 0; i < 100 && shared.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(aStream.changes, 0, "A's stream heard nothing of B's message");
      await pigeon.waitForMessage(await send(pigeon, AUTH_A, smsBody()));
      await aStream.until(() => aStream.changes > 0, "A's own change on A's stream");
    });

    it('shows an account nothing of another account on the Status page, also on a shared callback URL', async () => {
      const a = await signIn(pigeon, asA);
      const status = (await (await pigeon.fetch('/console/api/status', { headers: { cookie: a.cookie } })).json()) as {
        endpoints: Array<Record<string, unknown>>;
        failures: Array<{ accountId: string }>;
      };
      const endpoint = status.endpoints.find((e) => e.endpoint === shared.url);
      assert.ok(endpoint, 'the shared endpoint is listed for A (its second application uses it)');
      assert.equal(endpoint.shared, true);
      for (const hidden of ['backlog', 'inFlight', 'consecutiveFailures', 'lastError', 'failingSince', 'failingSinceIso']) {
        assert.ok(!(hidden in endpoint), `${hidden} is not shown`);
      }
      assert.ok(status.failures.every((f) => f.accountId === ACCOUNT_A.id));
      // The admin sees the whole endpoint, B's failed attempt included.
      const admin = await signIn(pigeon, { token: ADMIN_TOKEN });
      const full = (await (await pigeon.fetch('/console/api/status', { headers: { cookie: admin.cookie } })).json()) as {
        endpoints: Array<Record<string, unknown>>;
      };
      assert.ok((full.endpoints.find((e) => e.endpoint === shared.url)?.consecutiveFailures as number) >= 1);
    });

    it('caps the streams of a session and ends them at sign-out', async () => {
      const a = await signIn(pigeon, asA);
      const first = await Stream.open(pigeon, a.cookie);
      const second = await Stream.open(pigeon, a.cookie);
      const third = await Stream.open(pigeon, a.cookie);
      streams.push(first, second, third);
      await first.until(() => first.ended, 'the oldest stream to end at the third');
      assert.equal(second.ended || third.ended, false);
      const out = await pigeon.fetch('/console/api/session', { method: 'DELETE', headers: { cookie: a.cookie, 'x-pigeon-csrf': a.csrf } });
      assert.equal(out.status, 204);
      await second.until(() => second.ended && third.ended, 'the streams to end at sign-out');
    });

    it("keeps a user's sign-ins from ending another user's sessions", async () => {
      const b = await signIn(pigeon, asB);
      const aSessions = [await signIn(pigeon, asA), await signIn(pigeon, asA), await signIn(pigeon, asA), await signIn(pigeon, asA)];
      const statusOf = async (s: Signed) => (await pigeon.fetch('/console/api/session', { headers: { cookie: s.cookie } })).status;
      // Two sessions per user: A's own oldest went, B's stays.
      assert.deepEqual(await Promise.all(aSessions.map(statusOf)), [204, 204, 200, 200]);
      assert.equal(await statusOf(b), 200);
    });

    it('prefixes the cookie with __Host- over HTTPS and takes only that one there', async () => {
      const https = { 'x-forwarded-proto': 'https' };
      const secure = await signIn(pigeon, asA, https);
      assert.match(secure.setCookie, /^__Host-pigeon_console=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
      const session = (headers: Record<string, string>) => pigeon.fetch('/console/api/status', { headers });
      assert.equal((await session({ cookie: secure.cookie, ...https })).status, 200);
      // The same id under the unprefixed name (as a sibling origin or plain HTTP could set it): refused over HTTPS.
      const plainName = secure.cookie.replace(/^__Host-/, '');
      assert.equal((await session({ cookie: plainName, ...https })).status, 401);
    });
  });

  describe(`console session lifetime (${backend})`, () => {
    let pigeon: TestPigeon;
    before(async () => {
      // 0.001 h: 3.6 s.
      pigeon = await startPigeon({ backend, configYaml: fixtureConfigYaml({ extra: 'console: { sessionLifetimeHours: 0.001 }\n' }) });
    });
    after(async () => pigeon?.close());

    it('ends a session at its absolute lifetime however active, and its stream with it', async () => {
      const a = await signIn(pigeon, asA);
      const stream = await Stream.open(pigeon, a.cookie);
      const statuses: number[] = [];
      // Active every quarter second: the idle timeout alone would never end it.
      while (statuses.at(-1) !== 401 && statuses.length < 80) {
        statuses.push((await pigeon.fetch('/console/api/status', { headers: { cookie: a.cookie } })).status);
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.equal(statuses.at(-1), 401);
      assert.ok(statuses.filter((s) => s === 200).length >= 5, String(statuses));
      await stream.until(() => stream.ended, 'the stream to end with the session');
    });
  });
}
