#!/usr/bin/env node
// tsc compiles TypeScript only; the SQL migrations are read at run time, so they are copied beside the output.
import { cpSync, readdirSync } from 'node:fs';

for (const engine of readdirSync('src/store', { withFileTypes: true })) {
  if (!engine.isDirectory()) continue;
  const from = `src/store/${engine.name}/migrations`;
  try {
    cpSync(from, `dist/store/${engine.name}/migrations`, { recursive: true });
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
}
