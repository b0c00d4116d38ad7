// A crash on purpose, for the crash tests (test/delivery/crash-recovery.test.ts): with
// PIGEON_TEST_FAILPOINT=<write>:<before|after>:<n>, the process kills itself with SIGKILL at the
// n-th batch of writes holding a write of that kind, just before its COMMIT or just after it
// (before any caller hears of it, so before a 202 or a submit's next step). The tests use it to
// cut every kind of batch at both of its edges instead of hoping a timed kill lands there. Unset,
// as in every real deployment, each check is one comparison.
//
// Counted per thread: in the embedded default the delivery thread's claims and submits and the
// main thread's accepts and callbacks each count their own; SIGKILL from either ends the process.

/** The writes a failpoint can name: the batches a message's way through Pigeon is made of. */
export type WriteKind = 'accept' | 'claim' | 'submit' | 'terminal' | 'callback';

const KINDS: readonly WriteKind[] = ['accept', 'claim', 'submit', 'terminal', 'callback'];

interface Failpoint {
  kind: WriteKind;
  moment: 'before' | 'after';
  n: number;
}

function parse(value: string | undefined): Failpoint | undefined {
  if (!value) return undefined;
  const [kind, moment, n] = value.split(':');
  const count = Number(n);
  if (!KINDS.includes(kind as WriteKind) || (moment !== 'before' && moment !== 'after') || !Number.isInteger(count) || count < 1) {
    throw new Error(`PIGEON_TEST_FAILPOINT: expected <${KINDS.join('|')}>:<before|after>:<n ≥ 1>, got '${value}'`);
  }
  return { kind: kind as WriteKind, moment, n: count };
}

const failpoint = parse(process.env.PIGEON_TEST_FAILPOINT);
let batches = 0;

/**
 * Called by the group committers and the claims just before a batch's COMMIT, with the kinds of the
 * writes it holds; returns what to hand to afterCommit (batches commit side by side on PostgreSQL,
 * so each keeps its own place in the count).
 */
export function beforeCommit(kinds: Iterable<WriteKind | undefined>): number | undefined {
  if (failpoint === undefined || ![...kinds].includes(failpoint.kind)) return undefined;
  const ordinal = ++batches;
  if (failpoint.moment === 'before' && ordinal === failpoint.n) process.kill(process.pid, 'SIGKILL');
  return ordinal;
}

/** Just after that COMMIT, before any caller hears of it. */
export function afterCommit(ordinal: number | undefined): void {
  if (ordinal !== undefined && failpoint?.moment === 'after' && ordinal === failpoint.n) process.kill(process.pid, 'SIGKILL');
}
