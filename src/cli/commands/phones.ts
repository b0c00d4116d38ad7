// `pigeon phones …`: scripted phones' rules and conversations, through the admin API.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { adminRequest, type AdminTarget } from '../admin-client.js';
import { CliError } from '../cli-error.js';

export interface PhoneFlags {
  id?: string | undefined;
  phone?: string | undefined;
  from?: string | undefined;
  match?: string | undefined;
  text?: string | undefined;
  delayMs?: string | undefined;
  file?: string | undefined;
}

function delay(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new CliError(`phones: --delay-ms must be a whole number, not '${value}'`, 2);
  return Number(value);
}

/** The rules to add: those of --file (one rule or a list, YAML or JSON), or the one the flags describe. */
async function rulesToAdd(flags: PhoneFlags): Promise<unknown[]> {
  if (flags.file) {
    const text = await readFile(flags.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new CliError(`phones add: cannot read ${flags.file}: ${err.code ?? err.message}`);
    });
    const parsed = parseYaml(text) as unknown;
    return Array.isArray(parsed) ? parsed : [parsed];
  }
  if (!flags.text) throw new CliError('phones add: give --text ANSWER (and --phone, --from, --match), or --file rule.yaml', 2);
  return [{
    id: flags.id,
    phone: flags.phone,
    from: flags.from,
    text: flags.match === undefined ? undefined : { regex: flags.match },
    answer: { text: flags.text, delayMs: delay(flags.delayMs) },
  }];
}

export async function phonesCommand(target: AdminTarget, action: string | undefined, args: string[], flags: PhoneFlags, out: NodeJS.WritableStream): Promise<number> {
  let result: unknown;
  switch (action) {
    case 'list':
      result = await adminRequest(target, 'GET', '/phones/rules');
      break;
    case 'add': {
      const added = [];
      for (const rule of await rulesToAdd(flags)) added.push(await adminRequest(target, 'POST', '/phones/rules', rule));
      result = added.length === 1 ? added[0] : added;
      break;
    }
    case 'remove': {
      const id = args[0];
      if (!id) throw new CliError('phones remove: give the rule id', 2);
      await adminRequest(target, 'DELETE', `/phones/rules/${encodeURIComponent(id)}`);
      out.write(`removed ${id}\n`);
      return 0;
    }
    case 'conversations': {
      const query = flags.phone === undefined ? '' : `?phone=${encodeURIComponent(flags.phone)}`;
      result = await adminRequest(target, 'GET', `/phones/conversations${query}`);
      break;
    }
    case 'reset': {
      const query = new URLSearchParams();
      if (flags.phone !== undefined) query.set('phone', flags.phone);
      if (flags.from !== undefined) query.set('applicationNumber', flags.from);
      const qs = query.toString();
      result = await adminRequest(target, 'DELETE', `/phones/conversations${qs === '' ? '' : `?${qs}`}`);
      break;
    }
    default:
      throw new CliError(`phones: unknown action '${action ?? ''}'; use list, add, remove, conversations or reset`, 2);
  }
  out.write(`${JSON.stringify(result, null, 2)}\n`);
  return 0;
}
