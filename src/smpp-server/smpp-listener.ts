// Pigeon as an SMSC for applications (ESMEs): the SMPP listener and one session per connection.
// A session binds (transmitter, receiver or transceiver) with an SMPP user's credentials, submits
// through core/messages/send-message.ts as that user's application (submit.ts), and receives its
// receipts and inbound messages from the durable outbox (esme-outbox.ts). Every request from the
// ESME is answered, a malformed PDU with generic_nack and the connection closed (the byte stream
// can no longer be trusted), and nothing an ESME sends can throw out of a handler.
// Before a bind only bind_* is served: any other request gets ESME_RINVBNDSTS (SMPP 3.4 §2.3, the
// OPEN state), an unknown one generic_nack. A connection that has not bound within bindTimeoutMs
// is closed, as are connections beyond maxConnectionsPerAddress from one address, and failed binds
// count in the process's failed sign-ins (core/accounts/failed-attempts.ts) by system_id and address.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Account, AccountDirectory, SmppUser } from '../core/accounts/directory.js';
import { createSmppServer, newPdu, type Pdu, type SmppServerLike, type SmppSessionLike } from '../carriers/smpp/smpp-lib.js';
import type { FailedAttempts } from '../core/accounts/failed-attempts.js';
import type { EsmeAuthenticator } from './esme-auth.js';
import { ESME, submitStatus } from './status-table.js';
import { acceptSubmit, parseSubmit, SubmitRefused, type SubmitDeps } from './submit.js';

export type BindMode = 'transmitter' | 'receiver' | 'transceiver';

const BIND_MODES: Record<string, BindMode> = {
  bind_transmitter: 'transmitter',
  bind_receiver: 'receiver',
  bind_transceiver: 'transceiver',
};

/** SMPP 3.4 §5.2.1, §5.2.2: C-Octet Strings of 16 and 9 octets with their NUL. */
const MAX_SYSTEM_ID = 15;
const MAX_PASSWORD = 8;
const UNBIND_WAIT_MS = 2000;

export interface SmppListenerOptions {
  host: string;
  port: number;
  tls: { certFile: string; keyFile: string } | undefined;
  idleMs: number;
  /** A connection that has not bound this long after it opened is closed. */
  bindTimeoutMs: number;
  /** Connections one client address may hold at once (bound or not). */
  maxConnectionsPerAddress: number;
  /** Parts of long submits whose message is still incomplete this long after its first part are dropped. */
  reassemblyMs: number;
  window: number;
  responseTimeoutMs: number;
}

export interface SmppLog {
  info(detail: object, message: string): void;
  warn(detail: object, message: string): void;
}

export interface SmppListenerDeps {
  directory: AccountDirectory;
  auth: EsmeAuthenticator;
  signIns: FailedAttempts;
  submit: SubmitDeps;
  log: SmppLog;
  /** A message was accepted: wake the delivery worker. */
  onAccepted(): void;
  /** A receiver bound: offer it what the outbox holds. */
  onReceiverBound(systemId: string): void;
}

/** What the admin status shows of a bound session. */
export interface SessionStatus {
  systemId: string;
  mode: BindMode;
  address: string;
  since: string;
  /** Submits being accepted plus deliver_sm awaiting the ESME's answer. */
  inFlight: number;
}

/** A session that can take deliver_sm (receiver or transceiver), as the outbox worker sees it. */
export interface Receiver {
  readonly systemId: string;
  /** deliver_sm it can take now without overrunning its window. */
  free(): number;
  /** Sends a deliver_sm; `done` gets its command_status, or undefined when no answer came (timeout, closed). */
  deliver(fields: Record<string, unknown>, done: (status: number | undefined) => void): boolean;
}

class EsmeSession implements Receiver {
  user: SmppUser | undefined;
  account: Account | undefined;
  mode: BindMode | undefined;
  since = 0;
  readonly openedAt = Date.now();
  lastSeen = Date.now();
  /** Submits being accepted. */
  submitting = 0;
  /** deliver_sm sent and not answered, by sequence number. */
  readonly awaiting = new Map<number, { done: (status: number | undefined) => void; timer: ReturnType<typeof setTimeout> }>();
  closed = false;

  constructor(
    readonly session: SmppSessionLike,
    readonly address: string,
    readonly client: string,
    private readonly window: number,
    private readonly responseTimeoutMs: number,
  ) {}

  get systemId(): string {
    return this.user?.systemId ?? '';
  }

  get receives(): boolean {
    return this.mode === 'receiver' || this.mode === 'transceiver';
  }

  get transmits(): boolean {
    return this.mode === 'transmitter' || this.mode === 'transceiver';
  }

  free(): number {
    return this.closed ? 0 : Math.max(0, this.window - this.awaiting.size);
  }

  deliver(fields: Record<string, unknown>, done: (status: number | undefined) => void): boolean {
    if (this.closed) return false;
    const pdu = newPdu('deliver_sm', fields);
    const sent = this.session.send(pdu, (resp) => this.answered(resp.sequence_number, resp.command_status));
    if (!sent) return false;
    const timer = setTimeout(() => this.answered(pdu.sequence_number, undefined), this.responseTimeoutMs);
    this.awaiting.set(pdu.sequence_number, { done, timer });
    return true;
  }

  private answered(sequence: number, status: number | undefined): void {
    const entry = this.awaiting.get(sequence);
    if (!entry) return;
    this.awaiting.delete(sequence);
    clearTimeout(entry.timer);
    entry.done(status);
  }

  /** Everything still awaiting an answer is given up (the outbox offers it again). */
  dropAwaiting(): void {
    for (const [sequence] of this.awaiting) this.answered(sequence, undefined);
  }
}

export class SmppListener {
  private server: SmppServerLike | undefined;
  private readonly sessions = new Set<EsmeSession>();
  private idleTimer: ReturnType<typeof setInterval> | undefined;
  private sweepTimer: ReturnType<typeof setInterval> | undefined;
  private closing = false;

  constructor(
    private readonly options: SmppListenerOptions,
    private readonly deps: SmppListenerDeps,
  ) {}

  async listen(): Promise<number> {
    const tls = this.options.tls ? { key: readFileSync(this.options.tls.keyFile), cert: readFileSync(this.options.tls.certFile) } : {};
    const server = createSmppServer(tls, (session) => this.accept(session));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    server.on('error', (err) => this.deps.log.warn({ err: err.message }, 'smpp listener error'));
    this.server = server;
    this.idleTimer = setInterval(() => this.closeIdle(), Math.min(5000, Math.max(250, Math.min(this.options.idleMs, this.options.bindTimeoutMs) / 4)));
    this.idleTimer.unref();
    // Parts of long submits an ESME never completed. The SMPP carrier sweeps the same table with its
    // own timeout; this one runs whether or not a carrier is configured.
    this.sweepTimer = setInterval(() => {
      this.deps.submit.parts.dropBefore(this.deps.submit.now() - this.options.reassemblyMs, true).then(
        (dropped) => dropped > 0 && this.deps.log.warn({ dropped }, 'incomplete long submits dropped after reassemblySeconds'),
        (err: unknown) => this.deps.log.warn({ err: (err as Error).message }, 'part sweep failed'),
      );
    }, Math.min(60_000, this.options.reassemblyMs));
    this.sweepTimer.unref();
    this.stopWatching = this.deps.directory.onChange((event) => this.usersChanged(event.smppUsers));
    return (server.address() as AddressInfo).port;
  }

  /** Bound sessions of a user that take deliver_sm. */
  receivers(systemId: string): Receiver[] {
    return [...this.sessions].filter((s) => s.systemId === systemId && s.receives && !s.closed);
  }

  status(): SessionStatus[] {
    return [...this.sessions]
      .filter((s) => s.mode !== undefined && !s.closed)
      .map((s) => ({
        systemId: s.systemId,
        mode: s.mode as BindMode,
        address: s.address,
        since: new Date(s.since).toISOString(),
        inFlight: s.submitting + s.awaiting.size,
      }));
  }

  /**
   * Stops listening, lets submits being accepted finish (bounded), unbinds every session, waits
   * (bounded) for the unbind_resp and closes. ESMEs reconnect to the next Pigeon on their own.
   */
  async close(): Promise<void> {
    this.closing = true;
    this.stopWatching?.();
    if (this.idleTimer) clearInterval(this.idleTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    const deadline = Date.now() + UNBIND_WAIT_MS;
    while ([...this.sessions].some((s) => s.submitting > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await Promise.all([...this.sessions].map((s) => this.unbind(s)));
    await closed;
  }

  private stopWatching: (() => void) | undefined;

  /**
   * SMPP users changed in the directory: sessions of one that was deleted or disabled, or whose
   * password or application changed, are unbound (the ESME must bind again with what is current).
   */
  private usersChanged(systemIds: readonly string[]): void {
    const changed = new Set(systemIds);
    for (const s of this.sessions) {
      if (s.closed || !s.user || !changed.has(s.user.systemId)) continue;
      const current = this.deps.directory.smppUser(s.user.systemId);
      if (current && current.passwordHash === s.user.passwordHash && current.applicationId === s.user.applicationId && current.accountId === s.user.accountId) {
        s.user = current;
        continue;
      }
      this.deps.log.info({ systemId: s.user.systemId, address: s.address }, current ? 'smpp user changed: unbinding' : 'smpp user removed or disabled: unbinding');
      void this.unbind(s);
    }
  }

  private unbind(s: EsmeSession): Promise<void> {
    return new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        s.session.destroy();
        resolve();
      };
      const timer = setTimeout(finish, UNBIND_WAIT_MS);
      if (s.closed || s.mode === undefined || !s.session.send(newPdu('unbind'), finish)) finish();
    });
  }

  private closeIdle(): void {
    const now = Date.now();
    for (const s of this.sessions) {
      // Counted from the connection, not the last PDU: requests before a bind do not keep it open.
      if (!s.closed && s.mode === undefined && now - s.openedAt > this.options.bindTimeoutMs) {
        this.deps.log.info({ address: s.address }, 'smpp connection not bound in time: closing');
        s.closed = true;
        s.session.destroy();
        continue;
      }
      if (!s.closed && now - s.lastSeen > this.options.idleMs) {
        this.deps.log.info({ systemId: s.systemId || undefined, address: s.address }, 'smpp session idle: unbinding');
        s.lastSeen = now;
        void this.unbind(s);
      }
    }
  }

  private accept(session: SmppSessionLike): void {
    const client = session.socket.remoteAddress ?? '?';
    const address = `${client}:${session.socket.remotePort ?? '?'}`;
    const s = new EsmeSession(session, address, client, this.options.window, this.options.responseTimeoutMs);
    if (this.closing) {
      session.destroy();
      return;
    }
    const fromClient = [...this.sessions].filter((o) => o.client === client && !o.closed).length;
    if (fromClient >= this.options.maxConnectionsPerAddress) {
      this.deps.log.warn({ address, connections: fromClient }, 'smpp connections per address at maxConnectionsPerAddress: closing');
      session.destroy();
      return;
    }
    this.sessions.add(s);
    session.on('error', (err) => {
      // A PDU the library could not frame or parse: its stream is no longer trustworthy.
      if (s.closed) return;
      this.deps.log.warn({ address, systemId: s.systemId || undefined, err: err.message }, 'malformed PDU: closing the session');
      try {
        const sent = session.send(newPdu('generic_nack', { sequence_number: 0, command_status: ESME.RINVCMDLEN }), () => session.destroy());
        if (!sent) session.destroy();
      } catch {
        session.destroy();
      }
      setTimeout(() => session.destroy(), 1000).unref();
    });
    session.on('close', () => {
      s.closed = true;
      this.sessions.delete(s);
      s.dropAwaiting();
      if (s.mode) this.deps.log.info({ systemId: s.systemId, mode: s.mode, address }, 'smpp session closed');
    });
    session.on('pdu', (pdu) => {
      s.lastSeen = Date.now();
      try {
        this.handle(s, pdu);
      } catch (err) {
        this.deps.log.warn({ address, err: (err as Error).message }, 'smpp PDU handling failed');
        if (!pdu.isResponse()) this.respond(s, pdu, { command_status: ESME.RSYSERR });
      }
    });
  }

  private respond(s: EsmeSession, pdu: Pdu, fields: Record<string, unknown> = {}): void {
    if (s.closed) return;
    try {
      s.session.send(pdu.response(fields));
    } catch {
      // A response the library cannot encode (never for the fields written here): the peer times out.
    }
  }

  private handle(s: EsmeSession, pdu: Pdu): void {
    const mode = BIND_MODES[pdu.command];
    if (mode !== undefined) return void this.bind(s, pdu, mode);
    if (s.mode === undefined) {
      if (pdu.isResponse()) return;
      if (pdu.command === 'unknown') return void s.session.send(newPdu('generic_nack', { sequence_number: pdu.sequence_number, command_status: ESME.RINVCMDID }));
      // outbind is the SMSC's to send and has no response; everything else is refused until bound.
      if (pdu.command === 'outbind') return;
      return this.respond(s, pdu, { command_status: ESME.RINVBNDSTS });
    }
    switch (pdu.command) {
      case 'enquire_link':
        return this.respond(s, pdu);
      case 'unbind':
        s.session.send(pdu.response(), () => s.session.close());
        return;
      case 'submit_sm':
      case 'data_sm':
        return void this.submit(s, pdu);
      default:
        if (pdu.isResponse()) return; // deliver_sm_resp and others: matched by the library's callbacks
        if (pdu.command === 'unknown') return void s.session.send(newPdu('generic_nack', { sequence_number: pdu.sequence_number, command_status: ESME.RINVCMDID }));
        // Known commands Pigeon does not offer (query_sm, cancel_sm, replace_sm, submit_multi, outbind…).
        return this.respond(s, pdu, { command_status: ESME.RINVCMDID });
    }
  }

  private async bind(s: EsmeSession, pdu: Pdu, mode: BindMode): Promise<void> {
    if (s.mode !== undefined) return this.respond(s, pdu, { command_status: ESME.RALYBND });
    const systemId = String(pdu.system_id ?? '');
    const password = String(pdu.password ?? '');
    let status: number;
    let user: SmppUser | undefined;
    const credential = `smpp:${systemId}`;
    if (this.closing) status = ESME.RBINDFAIL;
    else if (systemId.length > MAX_SYSTEM_ID || systemId === '') status = ESME.RINVSYSID;
    // Too many failures from this address or for this system_id: refused unchecked, and ESMEs back off.
    else if (this.deps.signIns.retryAfter(credential, s.client) > 0) status = ESME.RTHROTTLED;
    else if (password.length > MAX_PASSWORD) {
      status = ESME.RINVPASWD;
      this.deps.signIns.failed(credential, s.client);
    } else {
      const checked = await this.deps.auth.check(systemId, password).catch(() => ({ status: ESME.RSYSERR, user: undefined }));
      status = checked.status;
      user = checked.user;
      if (status === ESME.RINVPASWD) this.deps.signIns.failed(credential, s.client);
      else if (user) this.deps.signIns.succeeded(credential, s.client);
      if (user && [...this.sessions].filter((o) => o.user?.systemId === user?.systemId && !o.closed).length >= user.maxBinds) status = ESME.RBINDFAIL;
    }
    if (s.closed) return;
    if (status !== 0 || !user) {
      // Never the password: only who tried, from where, and why it failed.
      this.deps.log.warn({ systemId: systemId.slice(0, 32), address: s.address, mode, status: `0x${status.toString(16).padStart(8, '0')}` }, 'smpp bind refused');
      return this.respond(s, pdu, { system_id: 'pigeon', command_status: status });
    }
    s.user = user;
    s.account = this.deps.directory.account(user.accountId);
    s.mode = mode;
    s.since = Date.now();
    this.respond(s, pdu, { system_id: 'pigeon' });
    this.deps.log.info({ systemId, mode, address: s.address }, 'smpp session bound');
    if (s.receives) this.deps.onReceiverBound(systemId);
  }

  private async submit(s: EsmeSession, pdu: Pdu): Promise<void> {
    if (!s.transmits || !s.user || !s.account) return this.respond(s, pdu, { command_status: ESME.RINVBNDSTS });
    // The window: requests beyond it are refused at once, so one client cannot make Pigeon hold
    // an unbounded number of submits; ESMEs retry ESME_RTHROTTLED.
    if (s.submitting >= this.options.window) return this.respond(s, pdu, { command_status: ESME.RTHROTTLED });
    s.submitting++;
    try {
      const parsed = parseSubmit(pdu);
      const { id, accepted } = await acceptSubmit(this.deps.submit, s.user, s.account, parsed);
      if (accepted) this.deps.onAccepted();
      this.respond(s, pdu, { message_id: id });
    } catch (err) {
      const status = err instanceof SubmitRefused ? err.status : submitStatus(err);
      if (status === ESME.RSYSERR) this.deps.log.warn({ systemId: s.systemId, err: (err as Error).message }, 'smpp submit failed');
      this.respond(s, pdu, { command_status: status });
    } finally {
      s.submitting--;
    }
  }
}
