// One bind: one TCP (or TLS) connection to the SMSC, bound as transceiver, transmitter or receiver.
// It owns what is per connection: the window of requests without a response and their timeouts,
// enquire_link in both directions and the dead-peer check, answering the SMSC's requests, and a
// clean unbind. Reconnecting is the carrier's job (smpp-carrier.ts): a bind that closed is done.
import { readFileSync } from 'node:fs';
import { connectSmpp, newPdu, type Pdu, type SmppSessionLike } from './smpp-lib.js';

export type BindMode = 'transceiver' | 'transmitter' | 'receiver';

export interface BindOptions {
  host: string;
  port: number;
  tls: boolean | { rejectUnauthorized: boolean; servername?: string | undefined; caFile?: string | undefined };
  systemId: string;
  password: string;
  systemType: string;
  mode: BindMode;
  window: number;
  enquireLinkMs: number;
  responseTimeoutMs: number;
}

export interface BindHandlers {
  /** A deliver_sm or data_sm; resolves with the command_status to answer (0 once it is durable). */
  onDeliver(pdu: Pdu): Promise<number>;
  onClose(reason: string): void;
  /** A window slot came free. */
  onSlot(): void;
  log(level: 'info' | 'warn' | 'debug', detail: Record<string, unknown>, message: string): void;
}

/** Why a request got no answer: the bind closed under it, or the response timeout passed. */
export class NoResponseError extends Error {
  constructor(
    message: string,
    readonly reason: 'closed' | 'timeout',
  ) {
    super(message);
    this.name = 'NoResponseError';
  }
}

// A peer that answers nothing (not even enquire_link) for this many intervals is taken for dead
// (smpp-3.4-notes §8: "a few intervals").
const DEAD_AFTER_INTERVALS = 3;
const ESME_RINVCMDID = 0x03;
const ESME_RSYSERR = 0x08;

const BIND_COMMAND: Record<BindMode, string> = {
  transceiver: 'bind_transceiver',
  transmitter: 'bind_transmitter',
  receiver: 'bind_receiver',
};

export class SmppBind {
  state: 'connecting' | 'bound' | 'closed' = 'connecting';
  inFlight = 0;
  /** Set when the SMSC answered the bind with an error (credentials, system id …). */
  bindError: number | undefined;
  private session: SmppSessionLike | undefined;
  private lastHeard = Date.now();
  private keepAlive: ReturnType<typeof setInterval> | undefined;
  private readonly pending = new Map<number, { reject: (err: Error) => void; timer: ReturnType<typeof setTimeout> }>();
  private closeReason = 'closed';

  constructor(
    private readonly options: BindOptions,
    private readonly handlers: BindHandlers,
  ) {}

  get canSubmit(): boolean {
    return this.state === 'bound' && this.options.mode !== 'receiver';
  }

  get hasSlot(): boolean {
    return this.canSubmit && this.inFlight < this.options.window;
  }

  /** Connects and binds; resolves once bound, rejects (and closes) when either fails. */
  open(): Promise<void> {
    const { host, port, tls } = this.options;
    const tlsOptions =
      tls === false
        ? {}
        : {
            tls: true,
            rejectUnauthorized: tls === true ? true : tls.rejectUnauthorized,
            ...(tls !== true && tls.servername !== undefined && { servername: tls.servername }),
            ...(tls !== true && tls.caFile !== undefined && { ca: readFileSync(tls.caFile) }),
          };
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        reject(err);
      };
      const session = connectSmpp({ host, port, ...tlsOptions });
      this.session = session;
      // Without an 'error' listener an ECONNRESET throws out of the event loop (lesson 17).
      session.on('error', (err) => {
        this.closeReason = err.message;
        fail(err);
        session.destroy();
      });
      session.on('close', () => {
        fail(new Error(`connection closed before the bind completed (${this.closeReason})`));
        this.closed();
      });
      session.on(tls === false ? 'connect' : 'secureConnect', () => {
        session.socket.setNoDelay(true);
        session.socket.setKeepAlive(true, this.options.enquireLinkMs);
        this.request(BIND_COMMAND[this.options.mode], {
          system_id: this.options.systemId,
          password: this.options.password,
          system_type: this.options.systemType,
          interface_version: 0x34,
        }).then(
          (resp) => {
            if (resp.command_status !== 0) {
              this.bindError = resp.command_status;
              fail(new Error(`bind refused with command_status 0x${resp.command_status.toString(16)}`));
              this.destroy(`bind refused (0x${resp.command_status.toString(16)})`);
              return;
            }
            this.state = 'bound';
            this.lastHeard = Date.now();
            this.startKeepAlive();
            settled = true;
            resolve();
          },
          (err: Error) => {
            fail(err);
            this.destroy(`bind: ${err.message}`);
          },
        );
      });
      session.on('pdu', (pdu) => this.received(pdu));
    });
  }

  /** Sends a request and resolves with its response (whatever its status); rejects with NoResponseError. */
  request(command: string, params: Record<string, unknown> = {}): Promise<Pdu> {
    const session = this.session;
    if (session === undefined || this.state === 'closed') return Promise.reject(new NoResponseError('bind closed', 'closed'));
    return new Promise<Pdu>((resolve, reject) => {
      const pdu = newPdu(command, params);
      const counted = command === 'submit_sm';
      if (counted) this.inFlight++;
      let done = false;
      const finish = () => {
        if (done) return false;
        done = true;
        clearTimeout(timer);
        this.pending.delete(pdu.sequence_number);
        if (counted) {
          this.inFlight--;
          this.handlers.onSlot();
        }
        return true;
      };
      // A response that never comes frees its slot after the timeout; the caller treats the
      // outcome as unknown and offers the submit again, so duplicates are bounded by the window.
      const timer = setTimeout(() => {
        if (finish()) reject(new NoResponseError(`no ${command}_resp within ${this.options.responseTimeoutMs} ms`, 'timeout'));
      }, this.options.responseTimeoutMs);
      const sent = session.send(pdu, (resp) => {
        this.lastHeard = Date.now();
        if (finish()) resolve(resp);
      });
      if (!sent) {
        // The socket is gone but its 'close' event has not run yet: close now, so that no caller
        // keeps picking this bind (and spinning on it without ever yielding to the event loop).
        finish();
        reject(new NoResponseError('bind closed', 'closed'));
        this.closeReason = 'connection gone';
        this.closed();
        return;
      }
      this.pending.set(pdu.sequence_number, { reject: (err) => finish() && reject(err), timer });
    });
  }

  /** Graceful end: unbind and wait for unbind_resp (bounded by the response timeout), then close. */
  async unbind(): Promise<void> {
    if (this.state === 'bound') {
      try {
        await this.request('unbind');
      } catch {
        // No answer: closing is all that is left.
      }
    }
    this.destroy('unbound');
  }

  destroy(reason: string): void {
    this.closeReason = reason;
    if (this.session === undefined) return this.closed();
    this.session.destroy();
  }

  private received(pdu: Pdu): void {
    this.lastHeard = Date.now();
    if (pdu.isResponse()) return;
    const session = this.session;
    if (session === undefined) return;
    switch (pdu.command) {
      case 'enquire_link':
        session.send(pdu.response());
        return;
      case 'unbind':
        this.handlers.log('info', { systemId: this.options.systemId }, 'SMSC unbound');
        session.send(pdu.response(), () => this.destroy('unbound by the SMSC'));
        this.state = 'closed';
        return;
      case 'deliver_sm':
      case 'data_sm':
        this.handlers.onDeliver(pdu).then(
          // On a bind that closed meanwhile send() does nothing; the SMSC offers it again on another.
          (status) => session.send(pdu.response(status === 0 ? {} : { command_status: status })),
          () => session.send(pdu.response({ command_status: ESME_RSYSERR })),
        );
        return;
      default:
        session.send(pdu.command === 'unknown' ? pdu.response() : newPdu('generic_nack', { sequence_number: pdu.sequence_number, command_status: ESME_RINVCMDID }));
    }
  }

  private startKeepAlive(): void {
    const interval = this.options.enquireLinkMs;
    this.keepAlive = setInterval(() => {
      if (Date.now() - this.lastHeard > DEAD_AFTER_INTERVALS * interval) {
        this.handlers.log('warn', { silentMs: Date.now() - this.lastHeard }, 'SMSC silent for several enquire_link intervals: bind dropped');
        this.destroy('dead: no traffic and no enquire_link_resp');
        return;
      }
      this.request('enquire_link').catch(() => undefined);
    }, interval);
    this.keepAlive.unref();
  }

  private closed(): void {
    if (this.state === 'closed' && this.session === undefined) return;
    const wasOpen = this.session !== undefined;
    this.state = 'closed';
    this.session = undefined;
    if (this.keepAlive !== undefined) clearInterval(this.keepAlive);
    for (const { reject } of [...this.pending.values()]) reject(new NoResponseError(`bind closed: ${this.closeReason}`, 'closed'));
    this.pending.clear();
    if (wasOpen) this.handlers.onClose(this.closeReason);
  }
}
