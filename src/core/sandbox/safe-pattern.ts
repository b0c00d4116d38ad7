// Regular expressions given by users (the text filter of GET /admin/v1/messages/next, the text rules
// of scripted phones) run in Node's backtracking engine, where a pattern like (a+)+$ takes
// exponential time on some inputs. Node has no linear-time engine built in, so each pattern is
// bounded three ways: its source is at most MAX_PATTERN_LENGTH characters, the text it is run on at
// most MAX_INPUT_LENGTH, and every run happens inside a vm script with a timeout, which V8 enforces
// from a watchdog thread (it interrupts a regex mid-backtrack). A run that times out throws
// PatternTimeoutError; it cannot hold the event loop longer than MATCH_TIMEOUT_MS.
import vm from 'node:vm';

export const MAX_PATTERN_LENGTH = 256;
export const MAX_INPUT_LENGTH = 4096;
export const MATCH_TIMEOUT_MS = 50;

export class PatternError extends Error {}
export class PatternTimeoutError extends PatternError {}

const sandbox = vm.createContext({ pattern: /(?:)/, input: '' });
const run = new vm.Script('pattern.exec(input)');

export interface SafePattern {
  readonly source: string;
  /** The first match with its groups, or null; throws PatternTimeoutError when the run was cut off. */
  exec(text: string): RegExpExecArray | null;
  test(text: string): boolean;
}

/**
 * Compiles `source`: a plain pattern ("code (\\d{6})") or a literal with flags ("/yes|ok/i"; flags
 * among i, m, s, u). Throws PatternError with a reason when it is too long or does not compile.
 */
export function compilePattern(source: string): SafePattern {
  if (source.length === 0) throw new PatternError('the pattern is empty');
  if (source.length > MAX_PATTERN_LENGTH) throw new PatternError(`the pattern is longer than ${MAX_PATTERN_LENGTH} characters`);
  const literal = /^\/(.*)\/([imsu]*)$/s.exec(source);
  let regex: RegExp;
  try {
    regex = literal ? new RegExp(literal[1] ?? '', literal[2]) : new RegExp(source);
  } catch (err) {
    throw new PatternError(`the pattern does not compile: ${(err as Error).message}`);
  }
  const exec = (text: string): RegExpExecArray | null => {
    sandbox.pattern = regex;
    sandbox.input = text.length > MAX_INPUT_LENGTH ? text.slice(0, MAX_INPUT_LENGTH) : text;
    regex.lastIndex = 0;
    try {
      return run.runInContext(sandbox, { timeout: MATCH_TIMEOUT_MS }) as RegExpExecArray | null;
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
        throw new PatternTimeoutError(`the pattern ${source} ran longer than ${MATCH_TIMEOUT_MS} ms and was stopped`);
      }
      throw err;
    }
  };
  return { source, exec, test: (text) => exec(text) !== null };
}
