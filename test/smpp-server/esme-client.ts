// A small ESME for the SMPP server tests, on the `smpp` package (the same client library users
// reach for in Node): promise helpers around bind, submit and the deliver_sm it receives, which it
// answers ESME_ROK unless told otherwise.
import { connectSmpp, newPdu, type Pdu, type SmppSessionLike } from '../../src/carriers/smpp/smpp-lib.js';

export class Esme {
  readonly delivered: Pdu[] = [];
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
        if (this.answer === 0) this.delivered.push(pdu);
        session.send(pdu.response({ command_status: this.answer }));
        this.notify();
      } else if (pdu.command === 'unbind') {
        session.send(pdu.response());
      } else if (pdu.command === 'enquire_link') {
        session.send(pdu.response());
      }
    });
  }

  static connect(port: number, options: { tls?: boolean } = {}): Promise<Esme> {
    return new Promise((resolve, reject) => {
      const session = connectSmpp({ host: '127.0.0.1', port, auto_enquire_link_period: 0, ...(options.tls && { tls: true, rejectUnauthorized: false }) });
      session.on(options.tls ? 'secureConnect' : 'connect', () => resolve(new Esme(session)));
      session.on('error', reject);
    });
  }

  request(command: string, fields: Record<string, unknown> = {}): Promise<Pdu> {
    return new Promise((resolve, reject) => {
      if (!this.session.send(newPdu(command, fields), resolve)) reject(new Error('not connected'));
    });
  }

  async bind(mode: 'transmitter' | 'receiver' | 'transceiver', systemId: string, password: string): Promise<number> {
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

export const ESME_USER = { systemId: 'esme1', password: 'secret12' };

/** YAML of a Pigeon with the SMPP listener on port 0 and one SMPP user on account A's main application. */
export function smppConfigYaml(
  options: { maxBinds?: number; window?: number; idleSeconds?: number; callbackUrl?: string; tls?: { cert: string; key: string } } = {},
): string {
  return `smppServer:
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
