#!/usr/bin/env node
// tsc compiles TypeScript only; the SQL migrations are read at run time, so they are copied beside the output.
// The target is emptied first: a migration renamed or removed in src/ must not live on in dist/.
import { cpSync, readdirSync, rmSync } from 'node:fs';

for (const engine of readdirSync('src/store', { withFileTypes: true })) {
  if (!engine.isDirectory()) continue;
  const from = `src/store/${engine.name}/migrations`;
  const to = `dist/store/${engine.name}/migrations`;
  rmSync(to, { recursive: true, force: true });
  try {
    cpSync(from, to, { recursive: true });
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
}
