// Keyword matching and the opt-out CSV, without a server: what counts as a keyword, the reply's
// language, and CSV quoting that survives a round trip.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvHeader, csvLine, importRows, parseCsv } from '../../src/core/opt-out/csv.js';
import { classify, normalizeKeyword, replyText, DEFAULT_REPLIES } from '../../src/core/opt-out/keywords.js';
import { resolveOptOutConfig } from '../../src/config/opt-out-config.js';

const settings = resolveOptOutConfig(undefined, []).global;

describe('opt-out keywords', () => {
  const table: Array<[string, string | undefined]> = [
    ['STOP', 'optOut'],
    ['  stop  ', 'optOut'],
    ['Stop.', 'optOut'],
    ['STOP!?', 'optOut'],
    ['stop\tall', 'optOut'],
    ['Arrêt', 'optOut'],
    ['ＳＴＯＰ', 'optOut'],
    ['opt-out', 'optOut'],
    ['Unstop', 'optIn'],
    ['help?', 'help'],
    ['STOP please', undefined],
    ['¿STOP', undefined],
    ['STO P', undefined],
    ['stopp', undefined],
    ['', undefined],
    ['...', undefined],
    [`STOP${' '.repeat(100)}`, undefined],
  ];
  for (const [text, expected] of table) {
    it(`${JSON.stringify(text)} → ${expected ?? 'not a keyword'}`, () => assert.equal(classify(text, settings)?.keywordClass, expected));
  }
  it('normalises inner spaces and accents, keeps inner punctuation', () => {
    assert.equal(normalizeKeyword(' Opt-Out!! '), 'OPT-OUT');
    assert.equal(normalizeKeyword('stop   all'), 'STOP ALL');
  });
  it('answers ARRET in French and STOP in English', () => {
    assert.equal(replyText(settings, { keywordClass: 'optOut', keyword: 'ARRET' }), DEFAULT_REPLIES.fr!.optOut);
    assert.equal(replyText(settings, { keywordClass: 'optOut', keyword: 'STOP' }), DEFAULT_REPLIES.en!.optOut);
  });
});

describe('opt-out CSV', () => {
  it('quotes commas, quotes and line breaks, and reads them back', () => {
    const entry = {
      recipient: '+19195550100',
      scope: 'application' as const,
      scopeKey: 'app,"1"',
      accountId: '99',
      keyword: 'STOP\nNOW',
      source: 'admin' as const,
      inboundMessageId: undefined,
      createdAt: Date.UTC(2024, 0, 2, 3, 4, 5, 6),
    };
    const rows = parseCsv(csvHeader() + csvLine(entry));
    assert.deepEqual(rows[1], ['+19195550100', 'application', 'app,"1"', '99', 'STOP\nNOW', 'admin', '2024-01-02T03:04:05.006Z']);
    const { rows: imported, problems } = importRows(csvHeader() + csvLine(entry), {});
    assert.deepEqual(problems, []);
    assert.equal(imported[0]?.scopeKey, 'app,"1"');
    assert.equal(imported[0]?.createdAt, entry.createdAt);
  });
  it('takes a BOM, CRLF and blank lines', () => {
    assert.deepEqual(parseCsv('\ufeffa,b\r\n\r\n1,2\n'), [['a', 'b'], ['1', '2']]);
  });
});
