// `pigeon opt-outs …`: the opt-out list of a running Pigeon, through its admin API.
import { readFile, writeFile } from 'node:fs/promises';
import { adminRequest, type AdminTarget } from '../admin-client.js';
import { CliError } from '../cli-error.js';

export interface OptOutFlags {
  account?: string | undefined;
  recipient?: string | undefined;
  scope?: string | undefined;
  scopeKey?: string | undefined;
  limit?: string | undefined;
  offset?: string | undefined;
  file?: string | undefined;
  json: boolean;
}

function query(params: Record<string, string | undefined>): string {
  const given = Object.entries(params).filter((p): p is [string, string] => p[1] !== undefined);
  return given.length > 0 ? `?${new URLSearchParams(given).toString()}` : '';
}

function required(flags: OptOutFlags, action: string): { recipient: string; scope: string; scopeKey: string } {
  if (!flags.recipient || !flags.scope || !flags.scopeKey) {
    throw new CliError(`opt-outs ${action}: --recipient, --scope and --scope-key are required`, 2);
  }
  return { recipient: flags.recipient, scope: flags.scope, scopeKey: flags.scopeKey };
}

export async function optOutCommand(target: AdminTarget, action: string | undefined, flags: OptOutFlags, out: NodeJS.WritableStream): Promise<number> {
  const filters = { accountId: flags.account, scope: flags.scope, scopeKey: flags.scopeKey, recipient: flags.recipient };
  switch (action) {
    case 'list': {
      const result = (await adminRequest(target, 'GET', `/opt-outs${query({ ...filters, limit: flags.limit, offset: flags.offset })}`)) as {
        optOuts: Array<Record<string, string | undefined>>;
        nextOffset?: number;
      };
      if (flags.json) out.write(`${JSON.stringify(result, null, 2)}\n`);
      else {
        for (const e of result.optOuts) {
          out.write(`${e.recipient}\t${e.scope}\t${e.scopeKey}\t${e.accountId}\t${e.keyword ?? '-'}\t${e.source}\t${e.createdAt}\n`);
        }
        if (result.nextOffset !== undefined) out.write(`(more: --offset ${result.nextOffset})\n`);
      }
      return 0;
    }
    case 'add': {
      const result = await adminRequest(target, 'POST', '/opt-outs', required(flags, 'add'));
      out.write(`${JSON.stringify(result, null, 2)}\n`);
      return 0;
    }
    case 'remove': {
      const { recipient, scope, scopeKey } = required(flags, 'remove');
      await adminRequest(target, 'DELETE', `/opt-outs/${encodeURIComponent(scope)}/${encodeURIComponent(scopeKey)}/${encodeURIComponent(recipient)}`);
      out.write(`removed ${recipient} from ${scope} ${scopeKey}\n`);
      return 0;
    }
    case 'events': {
      const result = await adminRequest(target, 'GET', `/opt-outs/events${query({ accountId: flags.account, recipient: flags.recipient, limit: flags.limit })}`);
      out.write(`${JSON.stringify(result, null, 2)}\n`);
      return 0;
    }
    case 'export': {
      const csv = (await adminRequest(target, 'GET', `/opt-outs/export${query(filters)}`)) as string;
      if (flags.file) await writeFile(flags.file, csv);
      else out.write(csv);
      return 0;
    }
    case 'import': {
      if (!flags.file) throw new CliError('opt-outs import: --file is required', 2);
      const csv = await readFile(flags.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new CliError(`opt-outs import: cannot read ${flags.file}: ${err.code ?? err.message}`);
      });
      const result = await adminRequest(target, 'POST', `/opt-outs/import${query({ scope: flags.scope, scopeKey: flags.scopeKey })}`, { csv });
      out.write(`${JSON.stringify(result, null, 2)}\n`);
      return 0;
    }
    default:
      throw new CliError(`opt-outs: unknown action '${action ?? ''}'; use list, add, remove, events, export or import`, 2);
  }
}
