// `pigeon simulator …`: reads and changes the simulated carrier's rules and defaults at runtime.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { adminRequest, type AdminTarget } from '../admin-client.js';
import { CliError } from '../cli-error.js';

export interface RuleFlags {
  id?: string | undefined;
  description?: string | undefined;
  to?: string | undefined;
  from?: string | undefined;
  match?: string | undefined;
  outcome?: string | undefined;
  errorCode?: string | undefined;
  delayMs?: string | undefined;
  failures?: string | undefined;
}

const number = (value: string | undefined, flag: string) => {
  if (value === undefined) return undefined;
  if (value === 'always' && flag === '--failures') return value;
  if (!/^\d+(\.\d+)?$/.test(value)) throw new CliError(`simulator: ${flag} must be a number, not '${value}'`, 2);
  return Number(value);
};

export async function simulatorCommand(
  target: AdminTarget,
  action: string | undefined,
  args: string[],
  flags: RuleFlags & { file?: string | undefined; defaults: Record<string, string | undefined> },
  out: NodeJS.WritableStream,
): Promise<number> {
  let result: unknown;
  switch (action) {
    case 'rules':
      result = await adminRequest(target, 'GET', '/simulator/rules');
      break;
    case 'test-numbers':
      result = await adminRequest(target, 'GET', '/simulator/test-numbers');
      break;
    case 'add':
      result = await adminRequest(target, 'POST', '/simulator/rules', {
        id: flags.id,
        description: flags.description,
        to: flags.to,
        from: flags.from,
        text: flags.match,
        outcome: flags.outcome,
        errorCode: number(flags.errorCode, '--error-code'),
        delayMs: number(flags.delayMs, '--delay-ms'),
        failures: number(flags.failures, '--failures'),
      });
      break;
    case 'remove': {
      const id = args[0];
      if (!id) throw new CliError('simulator remove: give the rule id', 2);
      await adminRequest(target, 'DELETE', `/simulator/rules/${encodeURIComponent(id)}`);
      out.write(`removed ${id}\n`);
      return 0;
    }
    case 'set': {
      if (!flags.file) throw new CliError('simulator set: --file rules.yaml is required', 2);
      const text = await readFile(flags.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new CliError(`simulator set: cannot read ${flags.file}: ${err.code ?? err.message}`);
      });
      result = await adminRequest(target, 'PUT', '/simulator/rules', parseYaml(text) as unknown);
      break;
    }
    case 'defaults': {
      const patch = Object.fromEntries(
        Object.entries(flags.defaults)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, number(v, `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`)]),
      );
      result = Object.keys(patch).length > 0
        ? await adminRequest(target, 'PATCH', '/simulator/defaults', patch)
        : await adminRequest(target, 'GET', '/simulator/defaults');
      break;
    }
    default:
      throw new CliError(`simulator: unknown action '${action ?? ''}'; use rules, add, remove, set, defaults or test-numbers`, 2);
  }
  out.write(`${JSON.stringify(result, null, 2)}\n`);
  return 0;
}
