// The one door to the `smpp` package (farhadi/node-smpp 0.5): it frames PDUs and keeps the TCP
// session; Pigeon does the text encoding itself. The package's own short_message filter labels GSM
// text as DCS 1 (IA5) and decodes DCS 0 with its own table and UDH guesses (lessons 22, 25), so the
// filter is replaced here, once, by a pass-through: short_message and message_payload stay raw bytes
// both ways, and src/carriers/smpp/text-coding.ts decides what they mean.
import { createRequire } from 'node:module';
import type { Server, Socket } from 'node:net';

const require = createRequire(import.meta.url);

/** A decoded PDU: header fields plus the mandatory and optional parameters by their spec names. */
export interface Pdu {
  command: string;
  command_id: number;
  command_status: number;
  sequence_number: number;
  [param: string]: unknown;
  isResponse(): boolean;
  response(options?: Record<string, unknown>): Pdu;
}

export interface SmppSessionLike {
  socket: Socket;
  send(pdu: Pdu, onResponse?: (pdu: Pdu) => void, onSent?: (pdu: Pdu) => void): boolean;
  close(callback?: () => void): void;
  destroy(callback?: () => void): void;
  on(event: 'pdu', listener: (pdu: Pdu) => void): this;
  on(event: 'connect' | 'secureConnect' | 'close', listener: () => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'send', listener: (pdu: Pdu) => void): this;
}

export interface SmppServerLike extends Server {
  sessions: SmppSessionLike[];
}

interface SmppModule {
  connect(options: Record<string, unknown>): SmppSessionLike;
  createServer(options: Record<string, unknown>, listener: (session: SmppSessionLike) => void): SmppServerLike;
  PDU: new (command: string, options?: Record<string, unknown>) => Pdu;
  commands: Record<string, { params?: Record<string, { filter?: unknown }> }>;
  tlvs: Record<string, { filter?: unknown }>;
}

const smpp = require('smpp') as SmppModule;

const RAW = { encode: (value: unknown) => value, decode: (value: unknown) => value };
for (const command of ['submit_sm', 'deliver_sm', 'submit_multi', 'replace_sm']) {
  const param = smpp.commands[command]?.params?.short_message;
  if (param) param.filter = RAW;
}
const payload = smpp.tlvs.message_payload;
if (payload) payload.filter = RAW;
// The time filter turns validity periods into Dates on decode and would re-encode them on the
// way out; Pigeon writes the SMPP time strings itself and keeps what it receives as text.
for (const command of ['submit_sm', 'deliver_sm']) {
  const params = smpp.commands[command]?.params;
  for (const key of ['schedule_delivery_time', 'validity_period']) if (params?.[key]) params[key].filter = RAW;
}

export const connectSmpp = (options: Record<string, unknown>): SmppSessionLike => smpp.connect(options);
export const createSmppServer = (options: Record<string, unknown>, listener: (session: SmppSessionLike) => void): SmppServerLike =>
  smpp.createServer(options, listener);
export const newPdu = (command: string, options?: Record<string, unknown>): Pdu => new smpp.PDU(command, options);
