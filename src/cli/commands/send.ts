// `pigeon send`: accepts a message through the same code path as POST …/messages, writing to the
// configured database directly, and prints the created message as JSON.
import { loadConfig, type ConfigFlags } from '../../config/config.js';
import { sendMessage } from '../../core/messages/send-message.js';
import { ApiError } from '../../core/errors.js';
import { openCore } from '../../main/open-core.js';
import { CliError } from '../cli-error.js';

export interface SendOptions {
  from?: string | undefined;
  to: string[];
  text?: string | undefined;
  media: string[];
  tag?: string | undefined;
  priority?: string | undefined;
  expiration?: string | undefined;
  account?: string | undefined;
  application?: string | undefined;
}

export function describeApiError(err: ApiError): string {
  const fields = err.fieldErrors?.map((f) => `${f.fieldName}: ${f.description}`).join('; ');
  return fields ? `${err.message}: ${fields}` : err.message;
}

export async function sendCommand(flags: ConfigFlags, options: SendOptions, out: NodeJS.WritableStream): Promise<number> {
  if (!options.from) throw new CliError('send: --from is required', 2);
  const config = loadConfig(process.env, flags);
  const core = await openCore(config);
  try {
    // Without --account/--application, the number's own application decides both.
    const owner = core.directory.ownerOfNumber(options.from);
    const accountId = options.account ?? owner?.accountId;
    const account = accountId === undefined ? undefined : core.directory.account(accountId);
    if (!account) throw new CliError(`send: no account ${options.account ? `'${options.account}'` : `owns ${options.from}`}; pass --account`);
    const body = {
      applicationId: options.application ?? owner?.id,
      from: options.from,
      to: options.to,
      text: options.text,
      media: options.media.length > 0 ? options.media : undefined,
      tag: options.tag,
      priority: options.priority,
      expiration: options.expiration,
    };
    const message = await sendMessage(core, account, body);
    out.write(`${JSON.stringify(message, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ApiError) throw new CliError(`send: ${describeApiError(err)}`);
    throw err;
  } finally {
    await core.store.close();
  }
}
