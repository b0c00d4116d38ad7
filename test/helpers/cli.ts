// Runs the real `pigeon` executable (bin/pigeon.js over the compiled dist/, as users run it).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PIGEON_BIN = fileURLToPath(new URL('../../bin/pigeon.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  input?: string;
  /**
   * Killed (SIGKILL) after this long, resolving with code null: for a command expected to exit by
   * itself, such as a `serve` that must refuse to start, so that one which runs anyway fails the
   * test instead of hanging it.
   */
  timeoutMs?: number;
}

export function runPigeon(args: string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PIGEON_BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', PIGEON_LOG_LEVEL: 'warn', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Starts `pigeon serve` and resolves once stdout contains `marker`. */
export function spawnPigeon(
  args: string[],
  env: Record<string, string>,
  marker: RegExp,
): Promise<{ child: ChildProcessWithoutNullStreams; output: () => string; match: RegExpMatchArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PIGEON_BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pigeon did not print ${String(marker)} in time; output:\n${stdout}`));
    }, 15_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const match = stdout.match(marker);
      if (match) {
        clearTimeout(timer);
        resolve({ child, output: () => stdout, match });
      }
    });
    child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pigeon exited with ${String(code)} before printing ${String(marker)}:\n${stdout}`));
    });
  });
}
