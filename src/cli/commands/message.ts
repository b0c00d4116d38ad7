// `pigeon message ID`: one message's recipients, event timeline and callback attempts; with --wait,
// first waits until it is delivered or failed (or, with --until callbacks, until its callbacks are settled).
import { adminRequest, type AdminTarget } from '../admin-client.js';
import { CliError } from '../cli-error.js';

export async function messageCommand(
  target: AdminTarget,
  id: string | undefined,
  options: { wait: boolean; until?: string | undefined; timeout?: string | undefined },
  out: NodeJS.WritableStream,
): Promise<number> {
  if (!id) throw new CliError('message: give the message id', 2);
  const path = options.wait
    ? `/messages/${encodeURIComponent(id)}/wait?until=${encodeURIComponent(options.until ?? 'terminal')}&timeout=${encodeURIComponent(options.timeout ?? '30')}`
    : `/messages/${encodeURIComponent(id)}`;
  out.write(`${JSON.stringify(await adminRequest(target, 'GET', path), null, 2)}\n`);
  return 0;
}
