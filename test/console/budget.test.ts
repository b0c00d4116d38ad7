// The console's download budget: everything a browser fetches to show the console (besides the API's
// JSON) is what `npm run build` put in dist/console. Past the budget, this fails; raise it only on
// purpose, and say so in the README. Nothing in it may load from another origin.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { consoleDir } from '../../src/http/console/static.js';

/** Bytes, uncompressed (see README, "Web console"). */
export const CONSOLE_BUDGET_BYTES = 64 * 1024;

describe('console download budget', () => {
  const dir = consoleDir();

  it('is built', () => {
    assert.ok(dir, 'dist/console is missing: run npm run build');
  });

  it(`stays within ${CONSOLE_BUDGET_BYTES} bytes`, () => {
    if (!dir) return;
    const sizes = readdirSync(dir).map((name) => [name, statSync(join(dir, name)).size] as const);
    const total = sizes.reduce((sum, [, size]) => sum + size, 0);
    assert.ok(total <= CONSOLE_BUDGET_BYTES, `console is ${total} bytes (${sizes.map(([n, s]) => `${n} ${s}`).join(', ')}), over the budget of ${CONSOLE_BUDGET_BYTES}`);
  });

  it('loads nothing from another origin', () => {
    if (!dir) return;
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//);
    const css = readFileSync(join(dir, 'app.css'), 'utf8');
    assert.doesNotMatch(css, /url\(|@import|@font-face/);
    const js = readFileSync(join(dir, 'app.js'), 'utf8');
    assert.doesNotMatch(js, /https?:\/\/|import\(/);
  });
});
