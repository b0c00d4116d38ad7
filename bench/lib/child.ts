// Servers under test run as child processes so that they never share an event loop (or a core's
// worth of scheduling) with the load generator in the bench process.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface ChildServer {
  readonly name: string;
  /** '' for a Pigeon worker process, which serves no HTTP. */
  readonly url: string;
  readonly pid: number;
  /** Log lines at pino level warn (40) or above, or lines that are not JSON at all. */
  readonly complaints: string[];
  /** SIGTERM, then SIGKILL if the process has not exited in time. Resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
}

const live = new Set<ChildProcess>();

/** Last-resort cleanup for paths that never reach a `finally` (uncaught errors, signals). */
export function killAllChildren(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  live.clear();
}

export interface StartOptions {
  name: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  readyTimeoutMs?: number;
  /**
   * For a server whose start-up line is plain text (`pigeon smsc`): ready once a stdout line matches;
   * the server's `url` is the first group.
   */
  readyLine?: RegExp;
}

/**
 * Starts `node ...args` and resolves once it prints a JSON line with a `url` and a `msg` ending in
 * "listening" (Pigeon's start-up log line and the bare server's both have that shape), or Pigeon's
 * "pigeon worker running" line (a `--role worker` process, which serves only its probes and metrics).
 */
export function startChild(options: StartOptions): Promise<ChildServer> {
  const child = spawn(process.execPath, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const tail: string[] = [];
  const complaints: string[] = [];
  const remember = (line: string) => {
    tail.push(line);
    if (tail.length > 30) tail.shift();
  };

  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    });
  });

  return new Promise<ChildServer>((resolve, reject) => {
    let ready = false;
    const fail = (why: string) => {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${options.name} did not start: ${why}\n--- last output ---\n${tail.join('\n')}`));
    };
    const timer = setTimeout(() => fail(`no "listening" line within ${options.readyTimeoutMs ?? 30_000} ms`), options.readyTimeoutMs ?? 30_000);

    createInterface({ input: child.stderr }).on('line', (line) => {
      remember(line);
      if (ready) complaints.push(line);
    });
    // The stdout pipe is read to the end even after start-up: a child blocked on a full pipe would stall.
    createInterface({ input: child.stdout }).on('line', (line) => {
      remember(line);
      let url: string | undefined;
      const plain = options.readyLine?.exec(line);
      if (plain) url = plain[1] ?? '';
      else {
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          if (ready) complaints.push(line);
          return;
        }
        const entry = parsed as { msg?: unknown; url?: unknown; level?: unknown };
        if (typeof entry.level === 'number' && entry.level >= 40) complaints.push(line);
        const listening = typeof entry.url === 'string' && typeof entry.msg === 'string' && entry.msg.endsWith('listening');
        if (listening) url = entry.url as string;
        else if (typeof entry.msg === 'string' && entry.msg.startsWith('pigeon worker running')) url = '';
      }
      if (!ready && url !== undefined) {
        ready = true;
        clearTimeout(timer);
        resolve({
          name: options.name,
          url,
          pid: child.pid ?? -1,
          complaints,
          async stop(timeoutMs = 10_000) {
            if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
            child.kill('SIGTERM');
            const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
            const code = await exited;
            clearTimeout(killer);
            return code;
          },
        });
      }
    });
    child.once('error', (err) => fail(err.message));
    void exited.then((code) => fail(`exited with code ${code}`));
  });
}

/** Starts one of the bench's own servers (bench/NAME.mjs) on a free loopback port. */
export function startBenchServer(root: string, name: string): Promise<ChildServer> {
  return startChild({
    name,
    args: [join(root, `bench/${name}.mjs`)],
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
    cwd: root,
  });
}

/** Prints the first warning and error lines a server logged, if it logged any. */
export function printComplaints(server: ChildServer): void {
  if (server.complaints.length === 0) return;
  console.log(`${server.name} logged ${server.complaints.length} warning/error line(s); first ones:`);
  for (const line of server.complaints.slice(0, 5)) console.log(`  ${line}`);
}

/**
 * CPU time (user + system, in ms) a process has used so far, from /proc; undefined where /proc is
 * missing. Used to tell whether the server or the load generator was the saturated side.
 */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; the name itself may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    // USER_HZ is 100 on every Linux ABI Node supports.
    return Number.isFinite(ticks) ? ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time of several processes together (a deployment of API and worker processes); undefined if any cannot be read. */
export function processesCpuMs(pids: readonly number[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    const used = processCpuMs(pid);
    if (used === undefined) return undefined;
    total += used;
  }
  return total;
}

/**
 * CPU time of the PostgreSQL server so far: every process named `postgres`, the postmaster and its
 * backends alike. A backend that starts inside a measured window counts from zero and one that ends
 * takes its time with it, so a window's difference is a floor; Pigeon's pools keep their
 * connections, so in practice it is close.
 */
export function postgresCpuMs(): number | undefined {
  let pids: number[];
  try {
    pids = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
        } catch {
          return false;
        }
      });
  } catch {
    return undefined;
  }
  let total = 0;
  for (const pid of pids) total += processCpuMs(pid) ?? 0;
  return pids.length > 0 ? total : undefined;
}

/** `pigeon smsc` (Pigeon's own SMSC) on a free loopback port, quiet; its `url` is `host:port`. */
export function startSmsc(root: string, configPath: string, nodeArgs: readonly string[] = []): Promise<ChildServer> {
  return startChild({
    name: 'pigeon smsc',
    args: [...nodeArgs, join(root, 'bin/pigeon.js'), 'smsc', '--port', '0', '--quiet', '--config', configPath],
    env: { ...process.env, PIGEON_LOG_LEVEL: 'warn' },
    cwd: root,
    readyLine: /^pigeon smsc listening for SMPP on (\S+:\d+)$/,
  });
}
