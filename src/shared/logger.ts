// Logs through pino: JSON lines for machines, or coloured human-readable lines (pino-pretty) for a
// person at a terminal. Every line made while serving a request, or doing work that carries the
// request's context (shared/log-context.ts), names its request id. Credentials never reach a log
// line: the paths that could carry them are redacted even if a future log call passes a whole
// request or config object.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { currentLogContext } from './log-context.js';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  '*.password',
  '*.passwordHash',
  '*.callbackPassword',
  '*.signingKey',
  '*.token',
  'password',
];

export type LogFormat = 'pretty' | 'json';

/** pretty when `stream` is a terminal, else json. */
export function defaultLogFormat(stream: NodeJS.WritableStream = process.stdout): LogFormat {
  return (stream as { isTTY?: boolean }).isTTY ? 'pretty' : 'json';
}

export function createLogger(level: string, destination?: NodeJS.WritableStream, format: LogFormat = 'json'): Logger {
  const output = destination ?? process.stdout;
  const options = {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { service: 'pigeon' },
    mixin: () => currentLogContext() ?? {},
  };
  if (format === 'json') return pino(options, output);
  return pino(
    options,
    pretty({
      destination: output,
      colorize: (output as { isTTY?: boolean }).isTTY === true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,service',
      sync: true,
    }),
  );
}
