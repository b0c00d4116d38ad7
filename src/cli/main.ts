// `pigeon <command>`: parses arguments and calls the command. Failures print one line to stderr
// (the stack only with --verbose) and return a non-zero exit code.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { ConfigFlags } from '../config/config.js';
import { CliError } from './cli-error.js';
import { adminTarget } from './admin-client.js';

const USAGE = `Usage: pigeon <command> [options]

Commands:
  serve                 run Pigeon (default command) [--role all|api|worker]
  send                  accept a message: --from N --to N [--to N…] [--text T] [--media URL…]
                        [--tag T] [--priority default|high] [--expiration RFC3339]
                        [--account ID] [--application ID]
  messages              list messages: [--account ID] [--source-tn N] [--destination-tn N]
                        [--status S] [--direction INBOUND|OUTBOUND] [--type sms|mms]
                        [--limit N] [--page-token T] [--json]
  migrate               bring the database schema up to date and exit
  config check          validate the config file
  hash-password         read a password on stdin, print its hash for the config file
  smsc                  run Pigeon's own SMPP server (SMSC) for testing: [--host 127.0.0.1]
                        [--port 2775] [--control-port P] [--system-id ID --password PW]
                        [--id-format hex|decimal] [--first-id N] [--receipt-id-format hex|decimal]
                        [--receipts both|tlv|text] [--tls-cert PEM --tls-key PEM] [--quiet];
                        outcomes follow the config file's simulator rules and the test numbers;
                        every PDU is printed as one line unless --quiet

Commands that talk to a running Pigeon's admin API (--url, env PIGEON_URL, default
http://127.0.0.1:8080; --admin-token, env PIGEON_ADMIN_TOKEN):
  inbound               a phone sends a message: --from N --to N [--to N…] [--text T]
                        [--media URL|FILE…]
  message ID            a message's recipients, events and callbacks [--wait]
                        [--until terminal|callbacks] [--timeout SECONDS]
  export                the account's messages with text, events and callbacks: --account ID
                        [--format ndjson|json|csv] [--file F] [--tag T] [--text T]
                        [list filters as for messages]
  wait                  wait for the next message that matches and print its text:
                        [--to N] [--from N] [--direction in|out] [--match REGEX [--group N]]
                        [--after TIME|--after-message ID] [--account ID] [--timeout SECONDS] [--json]
  simulator rules       list the simulated carrier's rules
  simulator add         add a rule: --to PATTERN [--from PATTERN] [--match REGEX]
                        --outcome deliver|fail|no-receipt|transient|reject
                        [--error-code N] [--delay-ms N] [--failures N|always] [--id ID]
  simulator remove ID   remove a rule
  simulator set         replace all rules: --file rules.yaml
  simulator defaults    show or change [--latency-ms N] [--failure-probability P]
                        [--failure-error-code N] [--seed N]
  simulator test-numbers  the ready-made test numbers and what each does
  phones list           scripted phones' rules, in firing order
  phones add            --text ANSWER [--phone N|PREFIX*] [--from N] [--match REGEX]
                        [--delay-ms N] [--id ID], or --file rule.yaml (one rule or a list)
  phones remove ID      remove a rule
  phones conversations  each conversation's step: [--phone N]
  phones reset          back to step 0: all, [--phone N] or [--phone N --from APP-NUMBER]
  opt-outs list         the opt-out list: [--account ID] [--recipient N|PREFIX] [--scope S]
                        [--scope-key K] [--limit N] [--offset N] [--json]
  opt-outs add|remove   --recipient N --scope number|application|account --scope-key K
  opt-outs events       the audit trail: [--account ID] [--recipient N] [--limit N]
  opt-outs export       the list as CSV: [--file F] (stdout by default) [filters as for list]
  opt-outs import       --file F.csv [--scope S --scope-key K for rows without them]
  accounts list|show ID|add [ID] [--name N]|set ID [--name N]|remove ID
  users list|show NAME|add NAME|set NAME|remove NAME   --account ID; add/set take
                        [--password P | --password-hash H] [--roles messaging|none]
                        [--enabled true|false]
  applications list [--account ID] | show ID | remove ID
  applications add      --account ID --name N [--id ID] [--callback-url U]
                        [--callback-username U --callback-password P] [--inbound-callback-url U]
                        [--opt-out JSON]   (the application's opt-out settings, README: opt-out keywords)
  applications set ID   [--name N] [--callback-url U|none] [--callback-username U|none]
                        [--callback-password P|none] [--inbound-callback-url U|none] [--opt-out JSON|none]
  numbers list          [--account ID] [--application ID] [--prefix +1919]
  numbers show N|remove N   (remove releases the number)
  numbers add N --application ID [--rate R]; numbers set N [--application ID] [--rate R|none]
  numbers import F.csv  assign numbers from number,applicationId[,ratePerSecond]
  numbers export F.csv  [--account ID] [--application ID] [--prefix P]
  smpp-users list [--account ID] | show ID | remove ID
  smpp-users add ID     --application ID --password P [--max-binds N]
  smpp-users set ID     [--application ID] [--password P] [--max-binds N] [--enabled true|false]
                        Lists take [--limit N] [--after KEY]; every command [--json]

Options for every command:
  --config PATH         config file (env PIGEON_CONFIG)
  --database-url URL    sqlite:PATH or postgres://… (env DATABASE_URL)
  --host H, --port P    listen address (env HOST, PORT; serve only)
  --public-url URL      base URL clients use to reach Pigeon (env PIGEON_PUBLIC_URL)
  --log-level L         fatal|error|warn|info|debug|trace|silent (env PIGEON_LOG_LEVEL)
  --log-format F        pretty (coloured lines; the default on a terminal) or json (env PIGEON_LOG_FORMAT)
  --verbose             print stack traces of errors
`;

const OPTIONS = {
  config: { type: 'string' },
  'database-url': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'public-url': { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  role: { type: 'string' },
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
  url: { type: 'string' },
  'admin-token': { type: 'string' },
  id: { type: 'string' },
  description: { type: 'string' },
  match: { type: 'string' },
  outcome: { type: 'string' },
  'error-code': { type: 'string' },
  'delay-ms': { type: 'string' },
  failures: { type: 'string' },
  file: { type: 'string' },
  'latency-ms': { type: 'string' },
  'failure-probability': { type: 'string' },
  'failure-error-code': { type: 'string' },
  seed: { type: 'string' },
  wait: { type: 'boolean' },
  until: { type: 'string' },
  timeout: { type: 'string' },
  'control-port': { type: 'string' },
  'system-id': { type: 'string' },
  password: { type: 'string' },
  'id-format': { type: 'string' },
  'first-id': { type: 'string' },
  'receipt-id-format': { type: 'string' },
  receipts: { type: 'string' },
  quiet: { type: 'boolean' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  recipient: { type: 'string' },
  phone: { type: 'string' },
  scope: { type: 'string' },
  'scope-key': { type: 'string' },
  offset: { type: 'string' },
  name: { type: 'string' },
  username: { type: 'string' },
  'password-hash': { type: 'string' },
  roles: { type: 'string' },
  enabled: { type: 'string' },
  'callback-url': { type: 'string' },
  'callback-username': { type: 'string' },
  'callback-password': { type: 'string' },
  'inbound-callback-url': { type: 'string' },
  'opt-out': { type: 'string' },
  prefix: { type: 'string' },
  rate: { type: 'string' },
  after: { type: 'string' },
  'max-binds': { type: 'string' },
  'after-message': { type: 'string' },
  group: { type: 'string' },
  format: { type: 'string' },
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

// Each command's module is imported when it runs: the admin-API commands then start without loading
// the server, its drivers and the config schema (a third of a second of CPU per call).
export async function runCli(
  argv: string[],
  io: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let verbose = argv.includes('--verbose');
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    verbose = values.verbose ?? false;
    const [group = 'serve', ...rest] = positionals;
    const command = group === 'config' ? `config ${rest.join(' ')}` : group;
    const target = () => adminTarget(process.env, { url: values.url, adminToken: values['admin-token'] });
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
      logFormat: values['log-format'],
      role: values.role,
    };
    switch (command) {
      case 'serve':
        return await (await import('./commands/serve.js')).serveCommand(flags, io.stdout);
      case 'smsc':
        return await (await import('./commands/smsc.js')).smscCommand(
          flags,
          {
            port: values.port,
            host: values.host,
            controlPort: values['control-port'],
            systemId: values['system-id'],
            password: values.password,
            idFormat: values['id-format'],
            firstId: values['first-id'],
            receiptIdFormat: values['receipt-id-format'],
            receipts: values.receipts,
            quiet: values.quiet ?? false,
            tlsCert: values['tls-cert'],
            tlsKey: values['tls-key'],
          },
          io.stdout,
        );
      case 'migrate':
        return await (await import('./commands/migrate.js')).migrateCommand(flags, io.stdout);
      case 'config check':
        return (await import('./commands/config-check.js')).configCheckCommand(flags, io.stdout);
      case 'hash-password':
        return await (await import('./commands/hash-password.js')).hashPasswordCommand(io.stdin, io.stdout);
      case 'send':
        return await (await import('./commands/send.js')).sendCommand(
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
        return await (await import('./commands/messages.js')).messagesCommand(flags, { account: values.account, json: values.json ?? false, filters }, io.stdout);
      }
      case 'inbound':
        return await (await import('./commands/inbound.js')).inboundCommand(
          target(),
          { from: values.from, to: values.to ?? [], text: values.text, media: values.media ?? [] },
          io.stdout,
        );
      case 'message':
        return await (await import('./commands/message.js')).messageCommand(target(), rest[0], { wait: values.wait ?? false, until: values.until, timeout: values.timeout }, io.stdout);
      case 'export': {
        const filters: Record<string, string> = {};
        for (const [flag, name] of Object.entries(LIST_FILTERS)) {
          const value = values[flag as keyof typeof values];
          if (typeof value === 'string') filters[name] = value;
        }
        if (values.tag !== undefined) filters.tag = values.tag;
        if (values.text !== undefined) filters.text = values.text;
        return await (await import('./commands/export.js')).exportCommand(target(), { account: values.account, format: values.format, file: values.file, filters }, io.stdout);
      }
      case 'wait':
        return await (await import('./commands/wait.js')).waitCommand(
          target(),
          {
            account: values.account,
            from: values.from,
            to: values.to?.[0],
            direction: values.direction,
            match: values.match,
            after: values.after,
            afterMessage: values['after-message'],
            timeout: values.timeout,
            group: values.group,
            json: values.json ?? false,
          },
          io.stdout,
        );
      case 'simulator':
        return await (await import('./commands/simulator.js')).simulatorCommand(
          target(),
          rest[0],
          rest.slice(1),
          {
            id: values.id,
            description: values.description,
            to: values.to?.[0],
            from: values.from,
            match: values.match,
            outcome: values.outcome,
            errorCode: values['error-code'],
            delayMs: values['delay-ms'],
            failures: values.failures,
            file: values.file,
            defaults: {
              latencyMs: values['latency-ms'],
              failureProbability: values['failure-probability'],
              failureErrorCode: values['failure-error-code'],
              seed: values.seed,
            },
          },
          io.stdout,
        );
      case 'phones':
        return await (await import('./commands/phones.js')).phonesCommand(
          target(),
          rest[0],
          rest.slice(1),
          { id: values.id, phone: values.phone, from: values.from, match: values.match, text: values.text, delayMs: values['delay-ms'], file: values.file },
          io.stdout,
        );
      case 'opt-outs':
        return await (await import('./commands/opt-out.js')).optOutCommand(
          target(),
          rest[0],
          {
            account: values.account,
            recipient: values.recipient,
            scope: values.scope,
            scopeKey: values['scope-key'],
            limit: values.limit,
            offset: values.offset,
            file: values.file,
            json: values.json ?? false,
          },
          io.stdout,
        );
      case 'accounts':
      case 'users':
      case 'applications':
      case 'numbers':
      case 'smpp-users':
        return await (await import('./commands/directory.js')).directoryCommand(
          target(),
          command,
          rest[0],
          rest.slice(1),
          {
            account: values.account,
            application: values.application,
            id: values.id,
            name: values.name,
            username: values.username,
            password: values.password,
            passwordHash: values['password-hash'],
            roles: values.roles,
            enabled: values.enabled,
            callbackUrl: values['callback-url'],
            callbackUsername: values['callback-username'],
            callbackPassword: values['callback-password'],
            inboundCallbackUrl: values['inbound-callback-url'],
            optOut: values['opt-out'],
            prefix: values.prefix,
            rate: values.rate,
            systemId: values['system-id'],
            maxBinds: values['max-binds'],
            limit: values.limit,
            after: values.after,
            json: values.json ?? false,
          },
          io.stdout,
        );
      default:
        throw new CliError(`unknown command '${positionals.join(' ')}'; run 'pigeon --help'`, 2);
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    const usage = typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
    io.stderr.write(`pigeon: ${err instanceof Error ? err.message : String(err)}\n`);
    if (verbose && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
    if (err instanceof CliError) return err.exitCode;
    if (usage) return 2;
    return 1;
  }
}
