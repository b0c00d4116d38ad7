// Opt-out settings of an application made through the admin API, on each engine and across copies
// of the directory: SQLite in one thread, SQLite with delivery in a worker thread, and PostgreSQL
// with an API process and a worker process on one database (here two servers in the test's
// process, each with its own directory kept current by NOTIFY). The application's keywords,
// languages, replies, scope and `enabled` apply to inbound keywords and to sends, the config file's
// settings fill what it leaves out, and a change through the API applies from the next message.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_REPLIES } from '../../src/core/opt-out/keywords.js';
import { CallbackReceiver } from '../helpers/callback-receiver.js';
import { ACCOUNT_A } from '../helpers/fixtures.js';
import { ADMIN_TOKEN, BACKENDS, startPigeon, type Backend, type TestPigeon } from '../helpers/pigeon.js';
import { configYaml, eventually, send, statuses } from './e2e-support.js';

const GLOBAL_HELP = 'Pigeon test: reply STOP to unsubscribe.';
// Over the built-in defaults: a help reply of the config file's own, which the application does not replace.
const CONFIG_OPT_OUT = `optOut:\n  replies:\n    en: { help: "${GLOBAL_HELP}" }\n`;
const N1 = '+19195557801';
const N2 = '+19195557802';
const SPANISH = {
  scope: 'application',
  defaultLanguage: 'es',
  keywords: { optOut: ['ALTO', 'BAJA'], optIn: ['VOLVER'], help: ['AYUDA'] },
  // Answered in French: no French reply of its own, so the built-in one.
  keywordLanguages: { BAJA: 'fr' },
  replies: { es: { optOut: 'Baja confirmada.', optIn: 'Alta confirmada.' } },
};

let remoteCounter = 0;
const newRemote = () => `+1919556${String(5000 + ++remoteCounter).padStart(4, '0')}`;

interface Deployment {
  /** Where the admin API and the message API are served (and inbound keywords are taken). */
  api: TestPigeon;
  receiver: CallbackReceiver;
  /** The directory version the side that delivers has applied. */
  deliveryVersion(): Promise<number>;
  close(): Promise<void>;
}

async function deploy(backend: Backend, shape: 'one' | 'thread' | 'processes'): Promise<Deployment> {
  const receiver = await new CallbackReceiver().start();
  const yaml = configYaml({ callbackUrl: receiver.url, otherCallbackUrl: receiver.url, extra: CONFIG_OPT_OUT });
  if (shape !== 'processes') {
    const api = await startPigeon({ backend, configYaml: yaml, workerThread: shape === 'thread' });
    const status = async () => (await api.admin<{ directoryVersion: number }>('GET', '/status')).directoryVersion;
    return {
      api,
      receiver,
      deliveryVersion: shape === 'thread' ? status : async () => api.server.directory.version,
      close: async () => {
        await api.close();
        await receiver.stop();
      },
    };
  }
  const api = await startPigeon({ backend, configYaml: yaml, env: { PIGEON_ROLE: 'api' } });
  const worker = await startPigeon({ backend, configYaml: yaml, databaseUrl: api.config.databaseUrl, env: { PIGEON_ROLE: 'worker' } });
  return {
    api,
    receiver,
    deliveryVersion: async () => worker.server.directory.version,
    close: async () => {
      await worker.close();
      await api.close();
      await receiver.stop();
    },
  };
}

const DEPLOYMENTS: ReadonlyArray<{ name: string; backend: Backend; shape: 'one' | 'thread' | 'processes' }> = [
  ...(BACKENDS.includes('sqlite') ? [{ name: 'sqlite', backend: 'sqlite' as const, shape: 'one' as const }, { name: 'sqlite, worker thread', backend: 'sqlite' as const, shape: 'thread' as const }] : []),
  ...(BACKENDS.includes('postgres') ? [{ name: 'postgres, api and worker processes', backend: 'postgres' as const, shape: 'processes' as const }] : []),
];

interface OptOutEvent {
  action: string;
  scope: string;
  scopeKey: string;
  keyword?: string;
  replyMessageId?: string;
}

for (const { name, backend, shape } of DEPLOYMENTS) {
  describe(`opt-out settings of an application made through the admin API (${name})`, () => {
    let d: Deployment;
    let appId: string;
    before(async () => {
      d = await deploy(backend, shape);
    });
    after(async () => d.close());

    /** Waits until the delivering side has applied every directory change the API side has. */
    const settled = async () => {
      const version = d.api.server.directory.version;
      await eventually(async () => ((await d.deliveryVersion()) >= version ? true : undefined), `the delivery side at directory version ${version}`);
    };
    const setOptOut = async (optOut: unknown) => {
      await d.api.admin('PATCH', `/applications/${appId}`, { optOut });
      await settled();
    };
    const events = async (recipient: string) =>
      (await d.api.admin<{ events: OptOutEvent[] }>('GET', `/opt-outs/events?recipient=${encodeURIComponent(recipient)}`)).events;
    /** An inbound message from `remote` to `to`, once the application has had it. */
    const inbound = async (remote: string, text: string, to = N1) => {
      const { messages } = await d.api.admin<{ messages: Array<{ id: string }> }>('POST', '/inbound', { from: remote, to, text });
      const id = messages[0]!.id;
      await d.receiver.waitFor(() => d.receiver.eventsFor(id).some((e) => e.type === 'message-received'), 10_000, `message-received of '${text}'`);
    };
    /** The reply to the newest keyword of `remote`: its text, sent from the number that received it. */
    const expectReply = async (remote: string, action: string, text: string, from = N1) => {
      const [event] = await events(remote);
      assert.equal(event?.action, action);
      assert.ok(event.replyMessageId);
      const reply = await d.api.waitForMessage(event.replyMessageId, 'callbacks');
      assert.equal(reply.message.from, from);
      assert.equal(reply.message.text, text);
      assert.equal(reply.recipients[0]?.messageStatus, 'DELIVERED');
      return event;
    };
    const sms = (to: string, from: string) => ({ applicationId: appId, from, to: [to], text: 'Your order has shipped' });
    const outcome = async (to: string, from: string) => {
      const sent = await send(d.api, sms(to, from));
      const settledMessage = await d.api.waitForMessage(sent.id, 'callbacks');
      const recipient = settledMessage.recipients[0];
      if (recipient?.messageStatus === 'FAILED') {
        assert.deepEqual(statuses(settledMessage.events, to), ['RECEIVED', 'QUEUED', 'FAILED'], 'a blocked send never reaches the carrier');
      }
      return recipient?.messageStatus === 'FAILED' ? `FAILED ${recipient.errorCode}` : recipient?.messageStatus;
    };

    it('its keywords, scope, language and replies apply; what it leaves out comes from the config file', async () => {
      const app = await d.api.admin<{ id: string; optOut: unknown }>('POST', '/applications', {
        accountId: ACCOUNT_A.id,
        name: 'Pedidos',
        callbackUrl: d.receiver.url,
        optOut: SPANISH,
      });
      appId = app.id;
      assert.deepEqual(app.optOut, SPANISH);
      for (const number of [N1, N2]) await d.api.admin('POST', '/numbers', { number, applicationId: appId });
      await settled();

      const remote = newRemote();
      // STOP is the config file's keyword, not this application's: passed on, nothing recorded.
      await inbound(remote, 'STOP');
      assert.deepEqual(await events(remote), []);
      assert.equal(await outcome(remote, N1), 'DELIVERED');

      await inbound(remote, 'Alto!');
      const event = await expectReply(remote, 'opt-out', 'Baja confirmada.');
      assert.deepEqual([event.keyword, event.scope, event.scopeKey], ['ALTO', 'application', appId]);
      // Application scope: the STOP to N1 stops the application's other number too.
      assert.equal(await outcome(remote, N2), 'FAILED 4775');

      // No Spanish help reply of its own: the config file's, in English.
      await inbound(remote, 'ayuda');
      await expectReply(remote, 'help', GLOBAL_HELP);

      await inbound(remote, 'VOLVER');
      await expectReply(remote, 'opt-in', 'Alta confirmada.');
      assert.equal(await outcome(remote, N2), 'DELIVERED');
    });

    it('a change through the admin API applies from the next message: enabled, keywords, replies, scope, and removal', async () => {
      const blocked = newRemote();
      await inbound(blocked, 'BAJA');
      await expectReply(blocked, 'opt-out', DEFAULT_REPLIES.fr!.optOut);
      assert.equal(await outcome(blocked, N1), 'FAILED 4775');

      // Off: sends are not checked against the list and keywords are only passed on.
      await setOptOut({ ...SPANISH, enabled: false });
      assert.equal(await outcome(blocked, N1), 'DELIVERED');
      const quiet = newRemote();
      await inbound(quiet, 'ALTO');
      assert.deepEqual(await events(quiet), []);

      // Other keywords and reply; the scope is the config file's again (number).
      await setOptOut({ keywords: { optOut: ['BASTA'] }, replies: { en: { optOut: 'Bye for now.' } } });
      assert.equal(await outcome(blocked, N1), 'FAILED 4775', 'the block made under the old settings applies again');
      const remote = newRemote();
      await inbound(remote, 'ALTO');
      assert.deepEqual(await events(remote), [], 'ALTO is no longer a keyword');
      await inbound(remote, 'basta');
      const event = await expectReply(remote, 'opt-out', 'Bye for now.');
      assert.deepEqual([event.scope, event.scopeKey], ['number', N1]);
      assert.equal(await outcome(remote, N1), 'FAILED 4775');
      assert.equal(await outcome(remote, N2), 'DELIVERED');

      // Removed: the config file's settings throughout.
      await setOptOut(null);
      assert.equal((await d.api.admin<{ optOut?: unknown }>('GET', `/applications/${appId}`)).optOut, undefined);
      const plain = newRemote();
      await inbound(plain, 'HELP', N2);
      await expectReply(plain, 'help', GLOBAL_HELP, N2);
    });

    it('bad opt-out settings are a 400 naming the field, and change nothing', async () => {
      const before = await d.api.admin<{ optOut?: unknown; updatedAt: string }>('GET', `/applications/${appId}`);
      const cases: Array<[unknown, string]> = [
        ['STOP', 'optOut'],
        [[], 'optOut'],
        [{ enable: true }, 'optOut'],
        [{ enabled: 'yes' }, 'optOut.enabled'],
        [{ scope: 'planet' }, 'optOut.scope'],
        [{ keywords: { help: ['!!'] } }, 'optOut.keywords.help.0'],
        [{ keywords: { help: ['x'.repeat(65)] } }, 'optOut.keywords.help.0'],
        [{ keywords: { goodbye: ['BYE'] } }, 'optOut.keywords'],
        // STOP stays an opt-out keyword of the config file's: it cannot also opt in.
        [{ keywords: { optIn: ['STOP'] } }, 'optOut.keywords.optIn'],
        [{ keywords: { optOut: ['GO'], optIn: ['GO'] } }, 'optOut.keywords.optIn'],
        [{ defaultLanguage: 'Spanish' }, 'optOut.defaultLanguage'],
        [{ keywordLanguages: { ALTO: 5 } }, 'optOut.keywordLanguages.ALTO'],
        [{ replies: { en: { help: '' } } }, 'optOut.replies.en.help'],
        [{ replies: { en: { goodbye: 'x' } } }, 'optOut.replies.en'],
        [{ replies: { en: { help: 'x'.repeat(2049) } } }, 'optOut.replies.en.help'],
      ];
      for (const [optOut, field] of cases) {
        for (const [method, path, body] of [
          ['PATCH', `/applications/${appId}`, { optOut }],
          ['POST', '/applications', { accountId: ACCOUNT_A.id, name: 'refused', optOut }],
        ] as const) {
          const res = await d.api.fetch(`/admin/v1${path}`, {
            method,
            headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          const text = await res.text();
          assert.equal(res.status, 400, `${method} ${JSON.stringify(optOut)}: ${text}`);
          const fields = (JSON.parse(text) as { fieldErrors?: Array<{ fieldName: string }> }).fieldErrors?.map((f) => f.fieldName);
          assert.ok(fields?.includes(field), `${method} ${JSON.stringify(optOut)}: expected ${field} in ${text}`);
        }
      }
      assert.deepEqual(await d.api.admin('GET', `/applications/${appId}`), before);
      const names = (await d.api.admin<{ items: Array<{ name: string }> }>('GET', `/applications?accountId=${ACCOUNT_A.id}`)).items.map((a) => a.name);
      assert.ok(!names.includes('refused'));
    });
  });
}
