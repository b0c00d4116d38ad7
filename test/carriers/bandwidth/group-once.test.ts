// A group stays one upstream message: the recipients the delivery worker hands over one by one
// share one POST in the process that sends it, and a process that did not send it (another worker
// process, or this one after a restart) finds the id recorded for the group's other recipients in
// the store instead of sending the group again. The upstream here is a loopback HTTP server that
// counts the sends.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { BandwidthCarrier } from '../../../src/carriers/bandwidth/bandwidth-carrier.js';
import { bandwidthCarrierSchema } from '../../../src/carriers/bandwidth/config.js';
import type { CarrierSubmission } from '../../../src/core/delivery/carrier.js';

describe('a group message sent upstream once', () => {
  let server: Server;
  let base = '';
  const posts: Array<{ to: string[] }> = [];
  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { to: string[] };
        posts.push(body);
        res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `up-${posts.length}` }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const config = () => bandwidthCarrierSchema.parse({
    name: 'bw',
    type: 'bandwidth',
    baseUrl: base,
    accountId: '1',
    applicationId: 'a',
    username: 'u',
    password: 'p',
    callbackUsername: 'cb',
    callbackPassword: 'cb-secret-1',
  });
  const log = { info: () => undefined, warn: () => undefined, debug: () => undefined };
  const to = ['+19195550101', '+19195550102', '+19195550103'];
  const submission = (messageId: string, destination: string): CarrierSubmission => ({
    messageId,
    from: '+19195551212',
    destination,
    recipients: to,
    text: 'group',
    media: undefined,
    type: 'mms',
    segmentCount: 1,
    attempt: 1,
    accountId: '9900000',
  });
  const carrier = (refs: Array<{ carrier: string; carrierMessageId: string; destinationTn: string }>) =>
    new BandwidthCarrier(config(), { media: { getMedia: async () => undefined }, refs: async () => refs, now: Date.now, log });

  it('sends the recipients handed over together as one POST to all of them', async () => {
    const bw = carrier([]);
    const before = posts.length;
    const ids = await Promise.all(to.map((d) => bw.submit(submission('m1', d))));
    assert.equal(posts.length, before + 1);
    assert.deepEqual([...(posts.at(-1)?.to ?? [])].sort(), to);
    assert.deepEqual(new Set(ids.map((r) => r.carrierMessageIds[0])).size, 1);
    // A recipient handed over later in the same process: the same id, no second POST.
    assert.deepEqual((await bw.submit(submission('m1', to[2] as string))).carrierMessageIds, ids[0]?.carrierMessageIds);
    assert.equal(posts.length, before + 1);
  });

  it('reuses the id recorded for the group by another process instead of sending it again', async () => {
    const before = posts.length;
    const elsewhere = carrier([{ carrier: 'routes', carrierMessageId: 'bw:up-earlier', destinationTn: to[0] as string }]);
    assert.deepEqual((await elsewhere.submit(submission('m2', to[1] as string))).carrierMessageIds, ['up-earlier']);
    assert.equal(posts.length, before, 'nothing sent');
    // An id another carrier recorded for the message (a group split over routes) is not this carrier's send.
    const other = carrier([{ carrier: 'routes', carrierMessageId: 'sim:x', destinationTn: to[0] as string }]);
    await other.submit(submission('m3', to[1] as string));
    assert.equal(posts.length, before + 1);
  });
});
