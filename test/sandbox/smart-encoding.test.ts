// Smart encoding, opt-in per application: look-alikes of GSM-7 characters are replaced before the
// segments are counted and the carrier gets the text, and the stored text says what was sent.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MessageView } from '../../src/core/admin/message-view.js';
import { countSegments } from '../../src/core/encoding/segments.js';
import { SMART_REPLACEMENTS, smartEncode } from '../../src/core/encoding/smart-encoding.js';
import { ACCOUNT_A, fixtureConfigYaml } from '../helpers/fixtures.js';
import { postMessage, smsBody } from '../helpers/http.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

/** The fixtures with smart encoding on for account A's main application (not its toll-free one). */
export const SMART_YAML = fixtureConfigYaml().replace('        name: Main\n', '        name: Main\n        smartEncoding: true\n');

// 160 characters with curly quotes, an apostrophe and a dash (each replaced by one character): UCS-2 as typed.
const START = '\u201CYour table is ready\u201D \u2014 we\u2019ll hold it for 15 minutes. ';
const CURLY = START.padEnd(160, 'x');

describe('smart encoding: the table', () => {
  it('turns every character of the table into GSM-7, and leaves GSM-7 text and other characters alone', () => {
    assert.equal([...CURLY].length, 160);
    for (const [chars, to] of SMART_REPLACEMENTS) {
      for (const c of chars) {
        assert.equal(countSegments(c).encoding, 'UCS-2', `U+${c.charCodeAt(0).toString(16)} is not GSM-7 already`);
        assert.equal(smartEncode(`a${c}b`), `a${to}b`);
        assert.equal(countSegments(smartEncode(c) || 'a').encoding, 'GSM-7', `U+${c.charCodeAt(0).toString(16)}`);
      }
    }
    assert.equal(smartEncode('plain GSM-7 {text} €'), 'plain GSM-7 {text} €');
    assert.equal(smartEncode('café 👋 日本'), 'café 👋 日本');
  });
});

for (const backend of BACKENDS) {
  describe(`smart encoding per application (${backend})`, () => {
    let pigeon: TestPigeon;
    before(async () => {
      pigeon = await startPigeon({ backend, configYaml: SMART_YAML });
    });
    after(() => pigeon.close());

    it('sends a curly-quoted 160-character text as one GSM-7 segment, and stores and lists what was sent', async () => {
      assert.deepEqual(countSegments(CURLY), { encoding: 'UCS-2', units: 160, segments: 3 });
      const sent = await postMessage(pigeon, smsBody({ text: CURLY }));
      assert.equal(sent.status, 202);
      assert.equal(sent.body.segmentCount, 1);
      const expected = `"Your table is ready" - we'll hold it for 15 minutes. `.padEnd(160, 'x');
      assert.equal(sent.body.text, expected);
      const view = await pigeon.waitForMessage(sent.body.id as string);
      assert.equal(view.message.text, expected);
      assert.equal(view.message.segmentCount, 1);
      assert.equal(view.recipients[0]?.segmentCount, 1);
      assert.equal(view.recipients[0]?.messageStatus, 'DELIVERED');
    });

    it('leaves the text of an application without it as typed: three UCS-2 segments', async () => {
      const sent = await postMessage(pigeon, smsBody({ text: CURLY, applicationId: ACCOUNT_A.otherApplicationId, from: ACCOUNT_A.tollFreeNumber }));
      assert.equal(sent.status, 202);
      assert.equal(sent.body.segmentCount, 3);
      const view = await pigeon.admin<MessageView>('GET', `/messages/${sent.body.id as string}`);
      assert.equal(view.message.text, CURLY);
    });

    it('is switched per application through the admin API, and applies from the next message on', async () => {
      const other = { applicationId: ACCOUNT_A.otherApplicationId, from: ACCOUNT_A.tollFreeNumber, text: CURLY };
      const patched = await pigeon.admin<{ smartEncoding: boolean }>('PATCH', `/applications/${ACCOUNT_A.otherApplicationId}`, { smartEncoding: true });
      assert.equal(patched.smartEncoding, true);
      try {
        const on = await postMessage(pigeon, smsBody(other));
        assert.equal(on.status, 202);
        assert.equal(on.body.segmentCount, 1);
      } finally {
        await pigeon.admin('PATCH', `/applications/${ACCOUNT_A.otherApplicationId}`, { smartEncoding: false });
      }
      const off = await postMessage(pigeon, smsBody(other));
      assert.equal(off.body.segmentCount, 3);
    });
  });
}
