// Structured JSON logs through pino. Credentials never reach a log line: the paths that could carry
// them are redacted even if a future log call passes a whole request or config object.
import { pino, type Logger } from 'pino';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  '*.password',
  '*.passwordHash',
  '*.callbackPassword',
  'password',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'pigeon' } },
    destination ?? process.stdout,
  );
}
