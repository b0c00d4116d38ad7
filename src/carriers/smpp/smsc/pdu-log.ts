// One readable line per PDU for `pigeon smsc`'s log: command, status, sequence, every parameter,
// with short_message as hex and as the text it decodes to.
import { ESM_UDHI, readUdh } from '../concatenation.js';
import type { Pdu } from '../smpp-lib.js';
import { decodeText } from '../text-coding.js';

const SKIP = new Set(['command', 'command_id', 'command_length', 'command_status', 'sequence_number']);

export function describePdu(pdu: Pdu, direction: 'in' | 'out', peer: string): string {
  const fields: string[] = [];
  for (const [key, value] of Object.entries(pdu)) {
    if (SKIP.has(key) || typeof value === 'function' || value === undefined || value === '' || value === null) continue;
    // A bind's password is not for the log, even a test SMSC's.
    if (key === 'password') {
      fields.push('password=***');
      continue;
    }
    if (Buffer.isBuffer(value)) {
      fields.push(`${key}=<${value.toString('hex')}>`);
      if ((key === 'short_message' || key === 'message_payload') && value.length > 0) {
        const body = (Number(pdu.esm_class) & ESM_UDHI) !== 0 ? readUdh(value).body : value;
        fields.push(`text=${JSON.stringify(decodeText(body, Number(pdu.data_coding ?? 0), 'gsm7'))}`);
      }
    } else fields.push(`${key}=${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  }
  const status = pdu.command_status === 0 ? '' : ` status=0x${pdu.command_status.toString(16).padStart(8, '0')}`;
  return `${direction === 'in' ? '<-' : '->'} ${peer} ${pdu.command} seq=${pdu.sequence_number}${status}${fields.length ? ' ' + fields.join(' ') : ''}`;
}
