// `pigeon <command>`: parses arguments and calls the command. Failures print one line to stderr
// (the stack only with --verbose) and return a non-zero exit code.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, type ConfigFlags } from '../config/config.js';
import { CliError } from './cli-error.js';
import { configCheckCommand } from './commands/config-check.js';
import { hashPasswordCommand } from './commands/hash-password.js';
import { messagesCommand } from './commands/messages.js';
import { sendCommand } from './commands/send.js';
import { serveCommand } from './commands/serve.js';

const USAGE = `Usage: pigeon <command> [options]

Commands:
  serve                 run the API server (default command)
  send                  accept a message: --from N --to N [--to N…] [--text T] [--media URL…]
                        [--tag T] [--priority default|high] [--expiration RFC3339]
                        [--account ID] [--application ID]
  messages              list messages: [--account ID] [--source-tn N] [--destination-tn N]
                        [--status S] [--direction INBOUND|OUTBOUND] [--type sms|mms]
                        [--limit N] [--page-token T] [--json]
  config check          validate the config file
  hash-password         read a password on stdin, print its hash for the config file

Options for every command:
  --config PATH         config file (env PIGEON_CONFIG)
  --database-url URL    sqlite:PATH or postgres://… (env DATABASE_URL)
  --host H, --port P    listen address (env HOST, PORT; serve only)
  --public-url URL      base URL clients use to reach Pigeon (env PIGEON_PUBLIC_URL)
  --log-level L         fatal|error|warn|info|debug|trace|silent (env PIGEON_LOG_LEVEL)
  --verbose             print stack traces of errors
`;

const OPTIONS = {
  config: { type: 'string' },
  'database-url': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'public-url': { type: 'string' },
  'log-level': { type: 'string' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  from: { type: 'string' },
  to: { type: 'string', multiple: true },
  text: { type: 'string' },
  media: { type: 'string', multiple: true },
  tag: { type: 'string' },
  priority: { type: 'string' },
  expiration: { type: 'string' },
  account: { type: 'string' },
  application: { type: 'string' },
  'source-tn': { type: 'string' },
  'destination-tn': { type: 'string' },
  status: { type: 'string' },
  direction: { type: 'string' },
  type: { type: 'string' },
  limit: { type: 'string' },
  'page-token': { type: 'string' },
  json: { type: 'boolean' },
} satisfies ParseArgsConfig['options'];

const LIST_FILTERS: Record<string, string> = {
  'source-tn': 'sourceTn',
  'destination-tn': 'destinationTn',
  status: 'messageStatus',
  direction: 'messageDirection',
  type: 'messageType',
  limit: 'limit',
  'page-token': 'pageToken',
};

export interface CliIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export async function runCli(
  argv: string[],
  io: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let verbose = argv.includes('--verbose');
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    verbose = values.verbose ?? false;
    const command = positionals.join(' ') || 'serve';
    if (values.help || command === 'help') {
      io.stdout.write(USAGE);
      return 0;
    }
    const flags: ConfigFlags = {
      config: values.config,
      host: values.host,
      port: values.port,
      databaseUrl: values['database-url'],
      publicUrl: values['public-url'],
      logLevel: values['log-level'],
    };
    switch (command) {
      case 'serve':
        return await serveCommand(flags, io.stdout);
      case 'config check':
        return configCheckCommand(flags, io.stdout);
      case 'hash-password':
        return await hashPasswordCommand(io.stdin, io.stdout);
      case 'send':
        return await sendCommand(
          flags,
          {
            from: values.from,
            to: values.to ?? [],
            text: values.text,
            media: values.media ?? [],
            tag: values.tag,
            priority: values.priority,
            expiration: values.expiration,
            account: values.account,
            application: values.application,
          },
          io.stdout,
        );
      case 'messages': {
        const filters: Record<string, string> = {};
        for (const [flag, name] of Object.entries(LIST_FILTERS)) {
          const value = values[flag as keyof typeof values];
          if (typeof value === 'string') filters[name] = value;
        }
        return await messagesCommand(flags, { account: values.account, json: values.json ?? false, filters }, io.stdout);
      }
      default:
        throw new CliError(`unknown command '${command}'; run 'pigeon --help'`, 2);
    }
  } catch (err) {
    const known = err instanceof CliError || err instanceof ConfigError;
    const code = (err as { code?: string }).code;
    const usage = typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
    io.stderr.write(`pigeon: ${err instanceof Error ? err.message : String(err)}\n`);
    if (verbose && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
    if (err instanceof CliError) return err.exitCode;
    if (usage) return 2;
    return known ? 1 : 1;
  }
}
