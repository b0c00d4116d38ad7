// `pigeon smsc`: runs Pigeon's own SMSC (carriers/smpp/smsc) until SIGTERM or SIGINT. Its outcomes
// come from the `simulator` section of the config file, like the built-in simulator's.
import { readFileSync } from 'node:fs';
import { loadConfig, type ConfigFlags } from '../../config/config.js';
import { parseSimulatorConfig } from '../../carriers/simulator/rules.js';
import { startControl } from '../../carriers/smpp/smsc/control-http.js';
import { SmscServer } from '../../carriers/smpp/smsc/smsc-server.js';
import { CliError } from '../cli-error.js';

export interface SmscFlags {
  port: string | undefined;
  host: string | undefined;
  controlPort: string | undefined;
  systemId: string | undefined;
  password: string | undefined;
  idFormat: string | undefined;
  firstId: string | undefined;
  receiptIdFormat: string | undefined;
  receipts: string | undefined;
  quiet: boolean;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new CliError(`${flag} must be one of ${allowed.join(', ')}`, 2);
  return value as T;
}

function port(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new CliError(`${flag}: '${value}' is not a port number`, 2);
  return Number(value);
}

/** A counter's start: a decimal integer that stays exact as a JavaScript number. */
function firstId(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new CliError(`--first-id: '${value}' is not a whole number from 0 to 999999999999999`, 2);
  return Number(value);
}

function tlsFiles(flags: SmscFlags): { cert: Buffer; key: Buffer } | undefined {
  if (flags.tlsCert === undefined && flags.tlsKey === undefined) return undefined;
  if (flags.tlsCert === undefined || flags.tlsKey === undefined) throw new CliError('--tls-cert and --tls-key go together', 2);
  const read = (file: string, flag: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new CliError(`${flag}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 2);
    }
  };
  return { cert: read(flags.tlsCert, '--tls-cert'), key: read(flags.tlsKey, '--tls-key') };
}

export async function smscCommand(configFlags: ConfigFlags, flags: SmscFlags, out: NodeJS.WritableStream): Promise<number> {
  const config = loadConfig(process.env, { ...configFlags, port: undefined, host: undefined });
  const tls = tlsFiles(flags);
  const smsc = new SmscServer({
    simulator: parseSimulatorConfig(config.simulator ?? {}),
    systemId: flags.systemId,
    password: flags.password,
    idFormat: oneOf(flags.idFormat, ['hex', 'decimal'], '--id-format'),
    firstId: firstId(flags.firstId),
    receiptTextIdFormat: oneOf(flags.receiptIdFormat, ['hex', 'decimal'], '--receipt-id-format'),
    receipts: oneOf(flags.receipts, ['tlv', 'text', 'both'], '--receipts'),
    tls,
    log: flags.quiet ? undefined : (line) => out.write(`${new Date().toISOString()} ${line}\n`),
  });
  const host = flags.host ?? '127.0.0.1';
  const listening = await smsc.listen(port(flags.port, '--port', 2775), host);
  out.write(`pigeon smsc listening for SMPP${tls ? ' over TLS' : ''} on ${host}:${listening}\n`);
  const control = flags.controlPort === undefined ? undefined : await startControl(smsc, port(flags.controlPort, '--control-port', 0), host);
  if (control) out.write(`pigeon smsc control API on http://${host}:${control.port}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  control?.server.close();
  await smsc.close();
  return 0;
}
