// Suites that need what a developer's machine may lack skip there, saying why: root (to mount a
// tmpfs for the disk-full suites), and the independent implementations Pigeon is checked against
// (Net::SMPP, Kannel, promtool). CI is meant to run every one of them, so there a skip would hide a
// suite that never ran: PIGEON_TEST_ROOT=require and PIGEON_TEST_INTEROP=require (set by .ci/run)
// turn each such skip into a failure, as PIGEON_TEST_POSTGRES=require does for PostgreSQL.

export type Requirement = 'root' | 'interop';

const VARIABLE: Record<Requirement, string> = { root: 'PIGEON_TEST_ROOT', interop: 'PIGEON_TEST_INTEROP' };

/** Whether this run must have `requirement` (CI), rather than skip what needs it. */
export function isRequired(requirement: Requirement): boolean {
  return process.env[VARIABLE[requirement]] === 'require';
}

/**
 * The `skip` option of a suite that needs something: false where it is `available`, else `reason`;
 * throws (failing the test file) where this run requires it.
 */
export function skipUnless(requirement: Requirement, available: boolean, reason: string): false | string {
  if (available) return false;
  if (isRequired(requirement)) throw new Error(`${VARIABLE[requirement]}=require, but ${reason}: the suite would be skipped`);
  return reason;
}
