// The SMPP carrier's pure parts: text coding, the parts of long messages (the same split as
// segmentCount), receipt parsing in its TLV and text forms, id spellings, addresses, and the config
// errors that name their key.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { inboundAddress, outboundAddress } from '../../../src/carriers/smpp/addresses.js';
import { outboundParts, readUdh } from '../../../src/carriers/smpp/concatenation.js';
import { receiptErrorCode, submitStatus } from '../../../src/carriers/smpp/error-map.js';
import { alternateIds, parseReceipt, toDeliveryReceipt } from '../../../src/carriers/smpp/receipt-parsing.js';
import { decodeGsm7, decodeText, encodeGsm7 } from '../../../src/carriers/smpp/text-coding.js';
import { loadConfig } from '../../../src/config/config.js';
import { countSegments } from '../../../src/core/encoding/segments.js';

describe('SMPP text coding', () => {
  it('encodes GSM-7 as GSM 03.38 octets with escapes, and back', () => {
    assert.equal(encodeGsm7('@£€[x]').toString('hex'), '00011b651b3c781b3e');
    assert.equal(decodeGsm7(encodeGsm7('Ünicode? Ü € ~ ΔΩ ß\n|')), 'Ünicode? Ü € ~ ΔΩ ß\n|');
  });
  it('decodes DCS 0/1/3/8', () => {
    assert.equal(decodeText(Buffer.from([0x00, 0x1b, 0x65]), 0, 'gsm7'), '@€');
    assert.equal(decodeText(Buffer.from('abc'), 1, 'gsm7'), 'abc');
    assert.equal(decodeText(Buffer.from([0xe9]), 3, 'gsm7'), 'é');
    assert.equal(decodeText(Buffer.from('d83dde00', 'hex'), 8, 'gsm7'), '😀');
    assert.equal(decodeText(Buffer.from([0xe9]), 0, 'latin1'), 'é');
  });
});

describe('SMPP long messages', () => {
  for (const text of ['a'.repeat(160), 'a'.repeat(161), `${'a'.repeat(152)}€${'b'.repeat(200)}`, `${'x'.repeat(66)}😀${'y'.repeat(100)}`, '€'.repeat(200)]) {
    it(`cuts ${text.length} characters where segmentCount does (${countSegments(text).segments} parts)`, () => {
      const parts = outboundParts(text, 'gsm7', 'udh', 7);
      assert.equal(parts.length, countSegments(text).segments);
      for (const part of parts) assert.ok(part.short_message.length <= 140 + (part.data_coding === 0 ? 20 : 0));
      const rebuilt = parts.map((p) => decodeText(p.esm_class & 0x40 ? readUdh(p.short_message).body : p.short_message, p.data_coding, 'gsm7')).join('');
      assert.equal(rebuilt, text);
    });
  }
  it('uses SAR TLVs or one message_payload when configured', () => {
    const sar = outboundParts('z'.repeat(200), 'gsm7', 'sar', 0x1234);
    assert.deepEqual(sar.map((p) => [p.esm_class, p.tlvs.sar_msg_ref_num, p.tlvs.sar_total_segments, p.tlvs.sar_segment_seqnum]), [[0, 0x1234, 2, 1], [0, 0x1234, 2, 2]]);
    const payload = outboundParts('z'.repeat(200), 'gsm7', 'payload', 0);
    assert.equal(payload.length, 1);
    assert.equal((payload[0]?.tlvs.message_payload as Buffer).length, 200);
  });
  it('sends GSM-7 text the SMSC cannot take under DCS 0 as UCS-2', () => {
    const [part] = outboundParts('5€', 'latin1', 'udh', 0);
    assert.equal(part?.data_coding, 8);
  });
});

describe('SMPP receipts', () => {
  it('prefers the TLVs', () => {
    const parsed = parseReceipt({ receipted_message_id: 'ABC', message_state: 5, network_error_code: Buffer.from([3, 0, 1]), short_message: Buffer.from('id:999 stat:DELIVRD err:000') });
    assert.deepEqual([parsed?.id, parsed?.stat, parsed?.err], ['ABC', 'UNDELIV', 1]);
  });
  it('reads Appendix B text in its variants', () => {
    for (const text of [
      'id:0123456789 sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:000 text:hello',
      'ID:0123456789 SUB:001 DLVRD:001 SUBMIT DATE:240101120000 DONE DATE:240101120100 STAT:DELIVRD ERR:000',
    ]) {
      const parsed = parseReceipt({ short_message: Buffer.from(text), data_coding: 0 });
      assert.deepEqual([parsed?.id, parsed?.stat, parsed?.err], ['0123456789', 'DELIVRD', 0]);
    }
  });
  it('maps a failure through the table and keeps what the SMSC said', () => {
    const parsed = parseReceipt({ short_message: Buffer.from('id:7 stat:UNDELIV err:027 text:') });
    assert.ok(parsed);
    const receipt = toDeliveryReceipt(parsed, 'auto', 1);
    assert.equal(receipt.errorCode, 4702);
    assert.equal(receipt.carrierDetail, 'stat=UNDELIV err=027');
    assert.equal(receiptErrorCode('UNDELIV', 999), 5650);
  });
  it('spells ids in the other base', () => {
    assert.ok(alternateIds('255', 'decimal').includes('ff'));
    assert.ok(alternateIds('255', 'decimal').includes('FF'));
    assert.ok(alternateIds('FF', 'hex').includes('255'));
    assert.ok(alternateIds('00ff', 'auto').includes('ff'));
  });
  it('treats throttling and queue-full as slow-down, bad destinations as permanent', () => {
    assert.equal(submitStatus(0x58).action, 'slow-down');
    assert.equal(submitStatus(0x14).action, 'slow-down');
    assert.deepEqual([submitStatus(0x0b).action, submitStatus(0x0b).code], ['permanent', 4720]);
    assert.equal(submitStatus(0x4242).action, 'transient');
  });
});

describe('SMPP addresses', () => {
  const rules = { international: { ton: 1, npi: 1 }, shortCode: { ton: 3, npi: 0 }, alphanumeric: { ton: 5, npi: 0 }, countryCode: '44' };
  it('sends E.164 without +, short codes and sender ids with their TON/NPI', () => {
    assert.deepEqual(outboundAddress('+15551234567', rules), { ton: 1, npi: 1, addr: '15551234567' });
    assert.deepEqual(outboundAddress('12345', rules), { ton: 3, npi: 0, addr: '12345' });
    assert.deepEqual(outboundAddress('Pigeon', rules), { ton: 5, npi: 0, addr: 'Pigeon' });
  });
  it('normalises inbound numbers to E.164', () => {
    assert.equal(inboundAddress('447700900123', 1, '44'), '+447700900123');
    assert.equal(inboundAddress('+447700900123', 0, '44'), '+447700900123');
    assert.equal(inboundAddress('00447700900123', 0, '44'), '+447700900123');
    assert.equal(inboundAddress('07700900123', 2, '44'), '+447700900123');
    assert.equal(inboundAddress('447700900123', 0, '44'), '+447700900123');
    assert.equal(inboundAddress('12345', 3, '44'), '12345');
    assert.equal(inboundAddress('Bank', 5, '44'), 'Bank');
  });
});

describe('carriers and routes in the config', () => {
  const load = (yaml: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'pigeon-cfg-'));
    writeFileSync(join(dir, 'p.yaml'), yaml);
    return loadConfig({ PIGEON_CONFIG: join(dir, 'p.yaml') });
  };
  it('takes the minimal file and fills in the defaults', () => {
    const config = load('carriers:\n  - { name: smsc-a, type: smpp, host: 127.0.0.1, port: 2775, systemId: pigeon, password: secret }\nroutes:\n  - { carrier: smsc-a }\n');
    const [carrier] = config.carriers;
    assert.equal(carrier?.type, 'smpp');
    if (carrier?.type !== 'smpp') return;
    assert.equal(carrier.bindMode, 'transceiver');
    assert.equal(carrier.window, 10);
    assert.equal(carrier.defaultAlphabet, 'gsm7');
    assert.deepEqual(carrier.addresses.international, { ton: 1, npi: 1 });
  });
  it('names the key of each error', () => {
    assert.throws(() => load('carriers:\n  - { name: a, type: smpp, host: h, systemId: s, window: 0 }\nroutes:\n  - { carrier: b }\n'), /carriers\[0\]\.window.*routes\[0\]\.carrier: names no carrier/s);
    assert.throws(() => load('carriers:\n  - { name: a, type: smtp }\n'), /carriers\[0\]\.type/);
  });
});
