// The export's time and memory (README: Export), not yet a scenario of `npm run bench`:
// `N=20000 B=sqlite node --expose-gc --import tsx bench/export.ts` (B=postgres for PostgreSQL).
// Stores N messages through the API of an in-process Pigeon (role api, so nothing moves), then
// streams GET /admin/v1/messages/export as NDJSON, sampling the process's RSS (the server's) every 20 ms.
import { ACCOUNT_A } from '../test/helpers/fixtures.js';
import { postMessage, smsBody } from '../test/helpers/http.js';
import { ADMIN_TOKEN, startPigeon } from '../test/helpers/pigeon.js';

const N = Number(process.env.N ?? 20_000);
const backend = process.env.B === 'postgres' ? 'postgres' : 'sqlite';
const pigeon = await startPigeon({ backend, env: { PIGEON_ROLE: 'api' } });
let sent = 0;
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (sent < N) {
      sent++;
      await postMessage(pigeon, smsBody({ text: `message ${sent}` }));
    }
  }),
);
(globalThis as { gc?: () => void }).gc?.();
const before = process.memoryUsage().rss;
let peak = before;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
const start = performance.now();
const res = await pigeon.fetch(`/admin/v1/messages/export?accountId=${ACCOUNT_A.id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
let bytes = 0;
let lines = 0;
for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
  bytes += chunk.length;
  for (const b of chunk) if (b === 10) lines++;
}
const seconds = (performance.now() - start) / 1000;
clearInterval(sampler);
console.log(JSON.stringify({ backend, messages: lines, seconds: +seconds.toFixed(1), perSecond: Math.round(lines / seconds), megabytes: +(bytes / 1e6).toFixed(1), rssBeforeMb: Math.round(before / 1e6), peakRssMb: Math.round(peak / 1e6) }));
await pigeon.close();
