// The list endpoint's request limit (reference d.1, d.4): N requests per window per client address,
// then 429 `rate_limit_exceeded` with Retry-After. Another address has its own budget (the second
// client connects from 127.0.0.2, which Linux routes over loopback like 127.0.0.1), every path
// prefix shares one budget, and a client that waits Retry-After is served again.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ACCOUNT_A, ACCOUNT_B, AUTH_A, AUTH_B, basic, fixtureConfigYaml } from '../helpers/fixtures.js';
import { postMessage, smsBody } from '../helpers/http.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const LIMITED = {
  type: 'rate_limit_exceeded',
  description: 'Rate limit exceeded. Wait for Retry-After time before sending another request.',
};

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: unknown;
}

/** GET over a fresh connection from `localAddress`, which is the client address Pigeon limits by. */
function list(pigeon: TestPigeon, path: string, auth: string, localAddress = '127.0.0.1'): Promise<Answer> {
  const url = new URL(pigeon.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, localAddress, agent: false, headers: { authorization: auth } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const retryAfter = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: Array.isArray(retryAfter) ? retryAfter.join(',') : retryAfter,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
          });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const messagesOf = (accountId: string, prefix = '/api/v2') => `${prefix}/users/${accountId}/messages`;

function assertLimited(answer: Answer, windowSeconds: number): number {
  assert.equal(answer.status, 429, JSON.stringify(answer.body));
  assert.deepEqual(answer.body, LIMITED);
  assert.match(answer.retryAfter ?? '', /^\d+$/, 'Retry-After is a whole number of seconds');
  const seconds = Number(answer.retryAfter);
  assert.ok(seconds >= 1 && seconds <= windowSeconds, `Retry-After ${seconds} lies outside the ${windowSeconds} s window`);
  return seconds;
}

for (const backend of BACKENDS) {
  describe(`GET …/messages request limit (${backend})`, () => {
    // A day-long window: its boundary (UTC midnight) falling inside this test is practically impossible,
    // so the count below is exact.
    const WINDOW = 86_400;
    const LIMIT = 3;
    let pigeon: TestPigeon;
    before(async () => {
      pigeon = await startPigeon({
        backend,
        configYaml: fixtureConfigYaml({ extra: `limits: { listRequestsPerWindow: ${LIMIT}, listWindowSeconds: ${WINDOW} }` }),
        env: { PIGEON_ROLE: 'api' },
      });
    });
    after(() => pigeon.close());

    it(`serves ${LIMIT} requests, then answers 429 with Retry-After until the window turns`, async () => {
      // Unauthenticated requests are refused before the limiter and use none of the budget.
      assert.equal((await list(pigeon, messagesOf(ACCOUNT_A.id), basic(ACCOUNT_A.username, 'wrong'))).status, 401);
      for (let i = 0; i < LIMIT; i++) {
        const ok = await list(pigeon, messagesOf(ACCOUNT_A.id), AUTH_A);
        assert.equal(ok.status, 200, `request ${i + 1}: ${JSON.stringify(ok.body)}`);
        assert.equal(ok.retryAfter, undefined);
      }
      const limited = await list(pigeon, messagesOf(ACCOUNT_A.id), AUTH_A);
      const seconds = assertLimited(limited, WINDOW);
      // The window is aligned on multiples of its length, so Retry-After is the time to the next multiple.
      const untilTurn = Math.ceil((WINDOW * 1000 - (Date.now() % (WINDOW * 1000))) / 1000);
      assert.ok(Math.abs(seconds - untilTurn) <= 2, `Retry-After ${seconds}, the window turns in ${untilTurn} s`);
    });

    it('shares one budget across the /api/v2, root and /v2 prefixes and across accounts of one address', async () => {
      for (const prefix of ['/api/v2', '', '/v2']) {
        assertLimited(await list(pigeon, messagesOf(ACCOUNT_A.id, prefix), AUTH_A), WINDOW);
      }
      // Bandwidth limits by source address, not by account.
      assertLimited(await list(pigeon, messagesOf(ACCOUNT_B.id), AUTH_B), WINDOW);
    });

    it('leaves another client address its own budget', async () => {
      for (let i = 0; i < LIMIT; i++) {
        const ok = await list(pigeon, messagesOf(ACCOUNT_A.id), AUTH_A, '127.0.0.2');
        assert.equal(ok.status, 200, `request ${i + 1} from 127.0.0.2: ${JSON.stringify(ok.body)}`);
      }
      assertLimited(await list(pigeon, messagesOf(ACCOUNT_A.id), AUTH_A, '127.0.0.2'), WINDOW);
    });

    it('does not limit sending', async () => {
      const sent = await postMessage(pigeon, smsBody());
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
    });
  });

  describe(`GET …/messages request limit, one-second window (${backend})`, () => {
    let pigeon: TestPigeon;
    before(async () => {
      pigeon = await startPigeon({
        backend,
        configYaml: fixtureConfigYaml({ extra: 'limits: { listRequestsPerWindow: 1, listWindowSeconds: 1 }' }),
        env: { PIGEON_ROLE: 'api' },
      });
    });
    after(() => pigeon.close());

    it('serves a client again once it has waited Retry-After', async () => {
      // A window may turn between two requests, so the first 429 can take one extra request.
      let limited: Answer | undefined;
      for (let i = 0; i < 3 && !limited; i++) {
        const answer = await list(pigeon, messagesOf(ACCOUNT_A.id), AUTH_A);
        if (answer.status !== 200) limited = answer;
      }
      assert.ok(limited, 'one request per second: three in a row must meet a 429');
      const seconds = assertLimited(limited, 1);
      // Retry-After rounds the rest of the window up, so after it the next window has begun.
      await sleep(seconds * 1000);
      const again = await list(pigeon, messagesOf(ACCOUNT_A.id), AUTH_A);
      assert.equal(again.status, 200, JSON.stringify(again.body));
    });
  });
}
