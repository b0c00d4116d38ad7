#!/usr/bin/env node
// Runs every test file under test/ with Node's own test runner, TypeScript loaded through tsx.
// Node 20's runner does not expand globs itself, so the files are listed here.
//
// Files run two at a time even on a two-core machine (Node's default there is one): most of a
// test's time is spent waiting on child processes, PostgreSQL, Chromium and timers, and every test
// is written to hold on a loaded machine. The files in SOLO compare a run's rate with itself over
// time, which another file starting beside it halfway through would skew, so they run afterwards,
// alone. PIGEON_TEST_CONCURRENCY overrides the width.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

const SOLO = ['test/delivery/startup-burst.test.ts'];

function collect(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return collect(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const filter = process.argv.slice(2);
const files = collect('test')
  .filter((f) => filter.length === 0 || filter.some((part) => f.includes(part)))
  .sort();
if (files.length === 0) {
  console.error(`no test file matches ${filter.join(', ')}`);
  process.exit(1);
}
const concurrency = Number(process.env.PIGEON_TEST_CONCURRENCY ?? Math.max(2, availableParallelism() - 1));

function run(list, width) {
  if (list.length === 0) return 0;
  const result = spawnSync(
    process.execPath,
    [
      '--import', 'tsx', '--test', `--test-concurrency=${width}`,
      '--test-reporter=spec', '--test-reporter-destination=stdout',
      '--test-reporter=./scripts/test-times.mjs', '--test-reporter-destination=stdout',
      ...list,
    ],
    { stdio: 'inherit' },
  );
  return result.status ?? 1;
}

const shared = run(files.filter((f) => !SOLO.includes(f)), concurrency);
const solo = run(files.filter((f) => SOLO.includes(f)), 1);
process.exit(shared || solo);
