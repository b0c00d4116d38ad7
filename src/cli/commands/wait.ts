// `pigeon wait`: waits for the next message that matches (GET /admin/v1/messages/next) and prints
// its text, one capture group of --match (--group N, e.g. a one-time code), or the whole view (--json).
import { adminRequest, type AdminTarget } from '../admin-client.js';
import { CliError } from '../cli-error.js';
import { compilePattern, PatternError } from '../../core/sandbox/safe-pattern.js';

export interface WaitOptions {
  account?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  direction?: string | undefined;
  match?: string | undefined;
  after?: string | undefined;
  afterMessage?: string | undefined;
  timeout?: string | undefined;
  group?: string | undefined;
  json: boolean;
}

export async function waitCommand(target: AdminTarget, options: WaitOptions, out: NodeJS.WritableStream): Promise<number> {
  const query = new URLSearchParams();
  const set = (name: string, value: string | undefined) => value !== undefined && query.set(name, value);
  set('accountId', options.account);
  set('from', options.from);
  set('to', options.to);
  set('direction', options.direction);
  set('text', options.match);
  set('after', options.after);
  set('afterMessage', options.afterMessage);
  set('timeout', options.timeout ?? '30');
  const group = options.group === undefined ? undefined : Number(options.group);
  if (group !== undefined && (!Number.isInteger(group) || group < 0)) throw new CliError('wait: --group must be a capture group number', 2);
  if (group !== undefined && options.match === undefined) throw new CliError('wait: --group needs --match', 2);
  const view = (await adminRequest(target, 'GET', `/messages/next?${query.toString()}`)) as { message: { text?: string } };
  if (options.json) out.write(`${JSON.stringify(view, null, 2)}\n`);
  else if (group !== undefined && options.match !== undefined) {
    let captured: string | undefined;
    try {
      captured = compilePattern(options.match).exec(view.message.text ?? '')?.[group];
    } catch (err) {
      if (err instanceof PatternError) throw new CliError(`wait: ${err.message}`);
      throw err;
    }
    if (captured === undefined) throw new CliError(`wait: --match has no group ${group} in the message's text`);
    out.write(`${captured}\n`);
  } else out.write(`${view.message.text ?? ''}\n`);
  return 0;
}
