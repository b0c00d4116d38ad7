#!/usr/bin/env node
// Builds the web console into dist/console: web/src bundled and minified by esbuild (which the
// project already has through tsx), the page and the stylesheet copied. Nothing is fetched from
// elsewhere at run time; the files here are all the browser downloads besides the API's JSON.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';

const out = 'dist/console';
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ['web/src/main.ts'],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  outfile: `${out}/app.js`,
  legalComments: 'none',
  logLevel: 'warning',
});
await build({ entryPoints: ['web/app.css'], bundle: true, minify: true, outfile: `${out}/app.css`, logLevel: 'warning' });
copyFileSync('web/index.html', `${out}/index.html`);
copyFileSync('web/favicon.svg', `${out}/favicon.svg`);
