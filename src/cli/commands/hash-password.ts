// `pigeon hash-password`: reads a password from standard input (so it stays out of shell history
// and process lists) and prints the hash to put in the config file as `passwordHash`.
import { hashPassword } from '../../core/accounts/passwords.js';
import { CliError } from '../cli-error.js';

async function readAll(input: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

export async function hashPasswordCommand(input: NodeJS.ReadableStream, out: NodeJS.WritableStream): Promise<number> {
  const password = (await readAll(input)).replace(/\r?\n$/, '');
  if (password.length === 0) throw new CliError('hash-password: give the password on standard input, e.g. `echo -n secret | pigeon hash-password`', 2);
  out.write(`${await hashPassword(password)}\n`);
  return 0;
}
