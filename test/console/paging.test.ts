// The console lists every record of an account, past the first 10 000 that the list API's paging
// stops at ("limit plus offset may not exceed 10 000"), through the same keyset page tokens. 10 050
// records are written through the real store of a Pigeon that delivers nothing (API role), on each engine.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MessageRecord } from '../../src/core/messages/message.js';
import { ACCOUNT_A, fixtureConfigYaml } from '../helpers/fixtures.js';
import { ADMIN_TOKEN, BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';
import { outboundSms } from '../delivery/e2e-support.js';

const STORED = 10_050;
const PAGE = 5_000;

interface Page {
  messages: Array<{ messageId: string }>;
  pageInfo?: { nextPageToken?: string };
}

for (const backend of BACKENDS) {
  describe(`console paging past 10 000 records (${backend})`, () => {
    let pigeon: TestPigeon;
    let cookie: string;
    before(async () => {
      pigeon = await startPigeon({ backend, configYaml: fixtureConfigYaml(), env: { PIGEON_ROLE: 'api' } });
      const { messages } = pigeon.server.store;
      const now = Date.now();
      for (let start = 0; start < STORED; start += 1000) {
        await Promise.all(
          Array.from({ length: Math.min(1000, STORED - start) }, (_, k) => {
            const i = start + k;
            const message = outboundSms({ id: `paging-${String(i).padStart(6, '0')}`, accountId: ACCOUNT_A.id, from: ACCOUNT_A.number, time: now - 60_000 - i });
            const record: MessageRecord = {
              messageId: message.id, accountId: message.accountId, sourceTn: message.from, destinationTn: message.to[0] as string,
              messageStatus: 'QUEUED', messageDirection: 'OUTBOUND', messageType: 'sms', segmentCount: 1, errorCode: 0,
              receiveTime: message.time, carrierName: null, messageSize: 1, messageLength: 1, attachmentCount: 0, recipientCount: 1,
              callingNumberCountryA3: 'USA', calledNumberCountryA3: 'USA', product: 'LOCAL_A2P', campaignClass: null, campaignId: null,
              location: null, bwLatency: null, carrierLatency: null,
            };
            return messages.acceptOutbound(message, [record]);
          }),
        );
      }
      const res = await pigeon.fetch('/console/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ADMIN_TOKEN }) });
      assert.equal(res.status, 201);
      cookie = (res.headers.get('set-cookie') ?? '').split(';', 1)[0] ?? '';
    });
    after(() => pigeon.close());

    /** Every record a client reaches by following next-page tokens from the first page. */
    const walk = async (first: string, read: (path: string) => Promise<Page>) => {
      const seen: string[] = [];
      let path: string | undefined = first;
      while (path !== undefined) {
        const page: Page = await read(path);
        seen.push(...page.messages.map((m) => m.messageId));
        const token = page.pageInfo?.nextPageToken;
        path = token === undefined ? undefined : `${first}&pageToken=${encodeURIComponent(token)}`;
      }
      return seen;
    };

    it('reaches every record through the console by its next-page tokens, past the 10 000th', async () => {
      const consoleSeen = await walk(`/console/api/accounts/${ACCOUNT_A.id}/messages?limit=${PAGE}`, async (path) => {
        const res = await pigeon.fetch(path, { headers: { cookie } });
        assert.equal(res.status, 200);
        return (await res.json()) as Page;
      });
      assert.equal(consoleSeen.length, STORED);
      assert.equal(new Set(consoleSeen).size, STORED);
    });
  });
}
