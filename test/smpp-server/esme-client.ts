// A small ESME for the SMPP server tests, on the `smpp` package (the same client library users
// reach for in Node): promise helpers around bind, submit and the deliver_sm it receives, which it
// answers ESME_ROK unless told otherwise.
import { connectSmpp, newPdu, type Pdu, type SmppSessionLike } from '../../src/carriers/smpp/smpp-lib.js';

export type BindMode = 'transmitter' | 'receiver' | 'transceiver';

export interface SmppUser {
  systemId: string;
  password: string;
}

/** One submit_sm for `Esme.pump`. */
export interface PumpedSubmit {
  from: string;
  to: string;
  fields?: Record<string, unknown>;
  onResp?: (resp: Pdu) => void;
}

export class Esme {
  readonly delivered: Pdu[] = [];
  /** deliver_sm answered with a non-zero `answer` (not taken). */
  readonly refused: Pdu[] = [];
  /** Status to answer deliver_sm with (0: taken). */
  answer = 0;
  closed = false;
  private waiters: Array<() => void> = [];

  private constructor(readonly session: SmppSessionLike) {
    session.on('error', () => undefined);
    session.on('close', () => {
      this.closed = true;
      this.notify();
    });
    session.on('pdu', (pdu) => {
      if (pdu.command === 'deliver_sm') {
        (this.answer === 0 ? this.delivered : this.refused).push(pdu);
        session.send(pdu.response({ command_status: this.answer }));
        this.notify();
      } else if (pdu.command === 'unbind') {
        session.send(pdu.response());
      } else if (pdu.command === 'enquire_link') {
        session.send(pdu.response());
      }
    });
  }

  /** `localAddress`: another loopback address (127.0.0.2 …) stands for another client. */
  static connect(port: number, options: { tls?: boolean; localAddress?: string } = {}): Promise<Esme> {
    return new Promise((resolve, reject) => {
      const session = connectSmpp({
        host: '127.0.0.1',
        port,
        auto_enquire_link_period: 0,
        ...(options.localAddress && { localAddress: options.localAddress }),
        ...(options.tls && { tls: true, rejectUnauthorized: false }),
      });
      session.on(options.tls ? 'secureConnect' : 'connect', () => resolve(new Esme(session)));
      session.on('error', reject);
    });
  }

  /** Connects and binds as `user`; throws unless the bind is answered ESME_ROK. */
  static async bound(port: number, mode: BindMode, user: SmppUser = ESME_USER, options: { tls?: boolean } = {}): Promise<Esme> {
    const esme = await Esme.connect(port, options);
    const status = await esme.bind(mode, user.systemId, user.password);
    if (status !== 0) {
      await esme.close();
      throw new Error(`bind_${mode} as ${user.systemId} refused: 0x${status.toString(16)}`);
    }
    return esme;
  }

  request(command: string, fields: Record<string, unknown> = {}): Promise<Pdu> {
    return new Promise((resolve, reject) => {
      if (!this.session.send(newPdu(command, fields), resolve)) reject(new Error('not connected'));
    });
  }

  async bind(mode: BindMode, systemId: string, password: string): Promise<number> {
    const resp = await this.request(`bind_${mode}`, { system_id: systemId, password, interface_version: 0x34 });
    return resp.command_status;
  }

  submit(from: string, to: string, fields: Record<string, unknown> = {}): Promise<Pdu> {
    return this.request('submit_sm', {
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: from.replace(/^\+/, ''),
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: to.replace(/^\+/, ''),
      data_coding: 0,
      short_message: Buffer.from('hello'),
      ...fields,
    });
  }

  /**
   * Keeps up to `window` submit_sm in flight: `next()` gives the next one to send (undefined: none
   * left for now), its `onResp` sees the answer. Resolves once none is in flight and none is left,
   * or when the session closes (submits then unanswered stay so).
   */
  pump(window: number, next: () => PumpedSubmit | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      let inFlight = 0;
      const fill = () => {
        if (this.closed) return resolve();
        while (inFlight < window) {
          const submit = next();
          if (submit === undefined) break;
          inFlight++;
          void this.submit(submit.from, submit.to, submit.fields).then((resp) => {
            inFlight--;
            submit.onResp?.(resp);
            fill();
          });
        }
        if (inFlight === 0) resolve();
      };
      this.session.on('close', () => resolve());
      fill();
    });
  }

  /** Waits until `condition` holds, re-checked after each deliver_sm and on close. */
  async until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      this.session.on('close', () => resolve());
      this.session.destroy();
    });
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

export const ESME_USER: SmppUser = { systemId: 'esme1', password: 'secret12' };

/** YAML of a Pigeon with the SMPP listener on port 0 and one SMPP user on account A's main application. */
export function smppConfigYaml(
  options: { maxBinds?: number; window?: number; idleSeconds?: number; callbackUrl?: string; tls?: { cert: string; key: string }; extra?: string } = {},
): string {
  return `${options.extra ?? ''}smppServer:
  port: 0
${options.tls ? `  tlsCertFile: ${options.tls.cert}\n  tlsKeyFile: ${options.tls.key}\n` : ''}
  window: ${options.window ?? 10}
  idleSeconds: ${options.idleSeconds ?? 300}
  responseTimeoutSeconds: 2
simulator:
  latencyMs: 20
delivery:
  retryInitialSeconds: 0.05
accounts:
  - id: "9900000"
    users:
      - { username: api-user, password: api-pass }
    applications:
      - id: 93de2206-9669-4e07-948d-329f4b722ee2
        name: Main
${options.callbackUrl ? `        callbackUrl: ${options.callbackUrl}\n` : ''}        numbers: ["+19195551212", "+19195551213"]
      - id: other-app
        name: Other
        numbers: ["+19195551299"]
    smppUsers:
      - { systemId: ${ESME_USER.systemId}, password: ${ESME_USER.password}, applicationId: 93de2206-9669-4e07-948d-329f4b722ee2, maxBinds: ${options.maxBinds ?? 50} }
      - { systemId: esme2, password: second12, applicationId: 93de2206-9669-4e07-948d-329f4b722ee2, maxBinds: 2 }
`;
}
