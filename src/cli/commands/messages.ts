// `pigeon messages`: lists messages with the filters of GET …/messages, as a table or as JSON.
import { loadConfig, type ConfigFlags } from '../../config/config.js';
import { ApiError } from '../../core/errors.js';
import { listMessages } from '../../core/messages/list-messages.js';
import { openCore } from '../../main/open-core.js';
import { CliError } from '../cli-error.js';
import { describeApiError } from './send.js';

export interface MessagesOptions {
  account?: string | undefined;
  json: boolean;
  /** Filters with the list API's own names (sourceTn, messageStatus, limit, …). */
  filters: Record<string, string>;
}

export async function messagesCommand(
  flags: ConfigFlags,
  options: MessagesOptions,
  out: NodeJS.WritableStream,
): Promise<number> {
  const config = loadConfig(process.env, flags);
  const core = await openCore(config);
  try {
    const accounts = [...core.directory.allAccounts()];
    const account = options.account ? core.directory.account(options.account) : accounts.length === 1 ? accounts[0] : undefined;
    if (!account) {
      throw new CliError(
        options.account ? `messages: no account '${options.account}'` : 'messages: several accounts are configured; pass --account',
      );
    }
    const list = await listMessages(core.store.messages, account.id, options.filters, {
      now: core.now(),
      defaultWindowDays: config.limits.listDefaultWindowDays,
      pageUrl: (token) => `pageToken=${token}`,
    });
    if (options.json) {
      out.write(`${JSON.stringify(list, null, 2)}\n`);
      return 0;
    }
    const rows = list.messages.map((m) => [m.receiveTime, m.messageId, m.messageDirection, m.messageType, m.sourceTn, m.destinationTn, m.messageStatus, String(m.errorCode)]);
    const header = ['TIME', 'ID', 'DIRECTION', 'TYPE', 'FROM', 'TO', 'STATUS', 'ERROR'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    for (const row of [header, ...rows]) out.write(`${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()}\n`);
    out.write(`${list.totalCount} message record(s)${list.pageInfo.nextPageToken ? `; next page: --page-token ${list.pageInfo.nextPageToken}` : ''}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ApiError) throw new CliError(`messages: ${describeApiError(err)}`);
    throw err;
  } finally {
    await core.store.close();
  }
}
