// Shared pieces of the SMPP tests: a `pigeon smsc` in the test process (SmscServer) and the YAML of
// a Pigeon whose carriers point at SMSCs on 127.0.0.1.
import { parseSimulatorConfig } from '../../../src/carriers/simulator/rules.js';
import { SmscServer, type SmscOptions } from '../../../src/carriers/smpp/smsc/smsc-server.js';

export async function startSmsc(options: Partial<SmscOptions> = {}, simulator: unknown = {}): Promise<SmscServer> {
  const smsc = new SmscServer({ simulator: parseSimulatorConfig(simulator), ...options });
  await smsc.listen(0);
  return smsc;
}

/** One `carriers` entry (as JSON, which YAML reads), short timings by default; `extra` overrides. */
export function smppCarrier(name: string, port: number, extra: Record<string, unknown> = {}): string {
  const entry = {
    name,
    type: 'smpp',
    host: '127.0.0.1',
    port,
    systemId: 'pigeon',
    password: 'secret',
    enquireLinkSeconds: 1,
    responseTimeoutSeconds: 2,
    reconnect: { initialSeconds: 0.05, maxSeconds: 0.5 },
    ...extra,
  };
  return `  - ${JSON.stringify(entry)}`;
}

/** The `carriers` and `routes` sections (as YAML) of the given carrier entries and route objects. */
export function carriersYaml(carriers: readonly string[], routes: readonly string[]): string {
  return ['carriers:', ...carriers, 'routes:', ...routes.map((r) => `  - ${r}`), ''].join('\n');
}

export function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (condition()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(check, 20);
    };
    check();
  });
}
