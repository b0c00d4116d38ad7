import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_A, RECIPIENT, RECIPIENT_2 } from '../helpers/fixtures.js';
import { getJson, postMessage, smsBody } from '../helpers/http.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

interface Item {
  messageId: string;
  sourceTn: string;
  destinationTn: string;
  messageType: string;
  segmentCount: number;
  receiveTime: string;
  messageStatus: string;
  errorCode: number;
  calledNumberCountryA3: string;
}
interface Page {
  totalCount: number;
  pageInfo: { prevPage?: string; nextPage?: string; prevPageToken?: string; nextPageToken?: string };
  messages: Item[];
}

const UK = '+447700900123';

for (const backend of BACKENDS) {
  describe(`GET …/messages (${backend})`, () => {
    let pigeon: TestPigeon;
    const sent: string[] = [];
    const base = `/api/v2/users/${ACCOUNT_A.id}/messages`;
    const list = async (query: string) => {
      const res = await getJson<Page>(pigeon, `${base}?${query}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };

    before(async () => {
      // API role only: no delivery runs, so every record stays QUEUED while the filters are checked.
      pigeon = await startPigeon({ backend, env: { PIGEON_ROLE: 'api' } });
      // 25 SMS to RECIPIENT from the first number (1 to 3 segments), 1 group, 1 from the second number to the UK.
      for (let i = 0; i < 25; i++) {
        const { body } = await postMessage(pigeon, smsBody({ text: 'x'.repeat(100 + i * 10) }));
        sent.push(String(body.id));
      }
      await postMessage(pigeon, smsBody({ to: [RECIPIENT, RECIPIENT_2] }));
      await postMessage(pigeon, smsBody({ from: ACCOUNT_A.secondNumber, to: [UK] }));
    });
    after(() => pigeon.close());

    it('returns every record, newest first, with an empty pageInfo when one page holds them', async () => {
      const page = await list('');
      assert.equal(page.totalCount, 28);
      assert.deepEqual(page.pageInfo, {});
      const times = page.messages.map((m) => Date.parse(m.receiveTime));
      assert.deepEqual(times, [...times].sort((a, b) => b - a));
    });

    it('filters by exact, listed and partial numbers', async () => {
      assert.equal((await list(`sourceTn=${encodeURIComponent(ACCOUNT_A.secondNumber)}`)).totalCount, 1);
      assert.equal((await list(`destinationTn=${encodeURIComponent(RECIPIENT_2)}`)).totalCount, 1);
      const both = `${ACCOUNT_A.number},${ACCOUNT_A.secondNumber}`;
      assert.equal((await list(`sourceTn=${encodeURIComponent(both)}`)).totalCount, 28);
      assert.equal((await list(`destinationTn=${encodeURIComponent('+4477')}`)).totalCount, 1);
      // An unencoded '+' arrives as a space; it is read as the '+' the client meant.
      assert.equal((await list(`sourceTn=${ACCOUNT_A.secondNumber}`)).totalCount, 1);
    });

    it('filters by type, status, direction, error code, country and segment range', async () => {
      assert.equal((await list('messageType=mms')).totalCount, 2);
      assert.equal((await list('messageType=sms')).totalCount, 26);
      assert.equal((await list('messageStatus=QUEUED&messageDirection=OUTBOUND&errorCode=0')).totalCount, 28);
      assert.equal((await list('messageStatus=DELIVERED')).totalCount, 0);
      assert.equal((await list('messageDirection=INBOUND')).totalCount, 0);
      assert.equal((await list('calledNumberCountryA3=GBR')).messages[0]?.destinationTn, UK);
      const twoSegments = await list('fromSegmentCount=2&toSegmentCount=2&messageType=sms');
      assert.ok(twoSegments.messages.every((m) => m.segmentCount === 2));
      assert.equal(twoSegments.totalCount, 14);
      assert.equal((await list('bwQueued=true')).totalCount, 28);
      assert.equal((await list('bwQueued=false')).totalCount, 0);
    });

    it('filters by time range', async () => {
      const future = new Date(Date.now() + 60_000).toISOString();
      assert.equal((await list(`fromDateTime=${encodeURIComponent(future)}`)).totalCount, 0);
      const past = new Date(Date.now() - 60_000).toISOString();
      assert.equal((await list(`fromDateTime=${encodeURIComponent(past)}&toDateTime=${encodeURIComponent(future)}`)).totalCount, 28);
      // Offsets are accepted, as in any RFC 3339 time.
      const offset = '2000-01-01T00:00:00-05:00';
      assert.equal((await list(`toDateTime=${encodeURIComponent(offset)}`)).totalCount, 0);
    });

    it('sorts on any list field, both ways', async () => {
      const asc = await list('sort=segmentCount:asc&messageType=sms');
      const counts = asc.messages.map((m) => m.segmentCount);
      assert.deepEqual(counts, [...counts].sort((a, b) => a - b));
      const desc = await list('sort=destinationTn:desc');
      assert.equal(desc.messages[0]?.destinationTn, UK);
    });

    it('pages with tokens and absolute URLs that repeat the query', async () => {
      const first = await list(`limit=10&sourceTn=${encodeURIComponent(ACCOUNT_A.number)}&messageType=sms`);
      assert.equal(first.totalCount, 25);
      assert.equal(first.messages.length, 10);
      assert.equal(first.pageInfo.prevPage, undefined);
      assert.ok(first.pageInfo.nextPageToken);
      const next = new URL(String(first.pageInfo.nextPage));
      assert.equal(next.origin, pigeon.url);
      assert.equal(next.pathname, base);
      assert.equal(next.searchParams.get('sourceTn'), ACCOUNT_A.number);
      assert.equal(next.searchParams.get('pageToken'), first.pageInfo.nextPageToken);

      const second = (await getJson<Page>(pigeon, `${next.pathname}${next.search}`)).body;
      assert.equal(second.messages.length, 10);
      assert.ok(second.pageInfo.prevPageToken && second.pageInfo.nextPageToken);
      const third = await list(`limit=10&sourceTn=${encodeURIComponent(ACCOUNT_A.number)}&messageType=sms&pageToken=${second.pageInfo.nextPageToken}`);
      assert.equal(third.messages.length, 5);
      assert.equal(third.pageInfo.nextPage, undefined);
      const all = [...first.messages, ...second.messages, ...third.messages].map((m) => m.messageId);
      assert.deepEqual(new Set(all), new Set(sent));

      const back = new URL(String(third.pageInfo.prevPage));
      const again = (await getJson<Page>(pigeon, `${back.pathname}${back.search}`)).body;
      assert.deepEqual(again.messages.map((m) => m.messageId), second.messages.map((m) => m.messageId));
    });

    it('builds page URLs under the prefix the client used', async () => {
      const page = (await getJson<Page>(pigeon, `/users/${ACCOUNT_A.id}/messages?limit=1`)).body;
      assert.equal(new URL(String(page.pageInfo.nextPage)).pathname, `/users/${ACCOUNT_A.id}/messages`);
    });

    it('refuses a page token issued for another query', async () => {
      const first = await list('limit=5');
      const res = await getJson(pigeon, `${base}?limit=5&messageType=sms&pageToken=${first.pageInfo.nextPageToken}`);
      assert.equal(res.status, 400);
      assert.equal(res.body.type, 'request-validation');
    });

    it('finds one message by id and caps totalCount on request', async () => {
      const page = await list(`messageId=${sent[3]}`);
      assert.equal(page.totalCount, 1);
      assert.equal(page.messages[0]?.messageId, sent[3]);
      assert.equal((await list('limitTotalCount=true')).totalCount, 28);
    });

    it('refuses a token for another sort, and a forged or stale one, with a Bandwidth error', async () => {
      const first = await list('limit=5&sort=segmentCount:asc');
      const token = String(first.pageInfo.nextPageToken);
      // The same token with a string where the sort column holds numbers.
      const payload = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown[];
      payload[3] = 'x';
      const forged = Buffer.from(JSON.stringify(payload)).toString('base64url');
      for (const query of [
        `limit=5&sort=segmentCount:asc&pageToken=${forged}`,
        `limit=5&sort=segmentCount:desc&pageToken=${token}`,
        `limit=5&pageToken=${token}`,
        `limit=5&sort=segmentCount:asc&pageToken=${token.slice(0, -2)}`,
        `limit=5&sort=segmentCount:asc&pageToken=${Buffer.from('100.AAAAAAAAAAAA').toString('base64url')}`,
      ]) {
        const res = await getJson(pigeon, `${base}?${query}`);
        assert.equal(res.status, 400, query);
        assert.equal(res.body.type, 'request-validation');
        assert.equal(typeof res.body.description, 'string');
      }
      // The same query with another page size goes on from the same place.
      const again = await list(`limit=7&sort=segmentCount:asc&pageToken=${token}`);
      assert.equal(again.messages.length, 7);
    });

    // Runs last: it sends more messages. Keyset paging: each page starts after the last row of the
    // one before, so rows that share the sort value are neither skipped nor repeated, and rows that
    // arrive meanwhile do not shift the pages.
    for (const sort of ['messageStatus:asc', 'segmentCount:desc', 'receiveTime:desc', 'destinationTn:asc']) {
      it(`pages through ties (sort=${sort}) exactly once, in order, while messages arrive`, async () => {
        const [field = '', direction] = sort.split(':');
        const before = (await list(`limit=1000&sort=${sort}`)).messages.map((m) => `${m.messageId}/${m.destinationTn}`);
        const seen: Item[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const page = await list(`limit=4&sort=${sort}${token ? `&pageToken=${token}` : ''}`);
          seen.push(...page.messages);
          token = page.pageInfo.nextPageToken;
          // A message arrives between two page fetches.
          await postMessage(pigeon, smsBody({ text: `between pages ${pages}` }));
          pages++;
        } while (token && pages < 100);
        assert.equal(token, undefined, 'the last page has no next page');
        const keys = seen.map((m) => `${m.messageId}/${m.destinationTn}`);
        assert.equal(new Set(keys).size, keys.length, 'no record twice');
        for (const key of before) assert.ok(keys.includes(key), `${key} was listed`);
        const value = (m: Item) => (m as unknown as Record<string, string | number>)[field] ?? '';
        const compare = (a: Item, b: Item) => {
          const parts: Array<[string | number, string | number]> = [
            [value(a), value(b)],
            [Date.parse(a.receiveTime), Date.parse(b.receiveTime)],
            [a.messageId, b.messageId],
            [a.destinationTn, b.destinationTn],
          ];
          for (const [x, y] of parts) if (x !== y) return (x < y ? -1 : 1) * (direction === 'desc' ? -1 : 1);
          return 0;
        };
        for (let i = 1; i < seen.length; i++) {
          assert.ok(compare(seen[i - 1] as Item, seen[i] as Item) < 0, `records ${i - 1} and ${i} in ${sort} order`);
        }
      });
    }
  });
}
