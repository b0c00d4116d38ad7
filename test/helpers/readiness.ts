// Waiting for a test server's readiness (GET /readyz) to change.
import type { TestPigeon } from './pigeon.js';

/** Polls GET /readyz until it answers `status` (and `reason`, if given): the outage probe runs every second. */
export async function waitForReadiness(pigeon: TestPigeon, status: number, reason?: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await pigeon.fetch('/readyz');
    const body = (await res.json()) as Record<string, unknown>;
    if (res.status === status && (reason === undefined || body.reason === reason)) return body;
    if (Date.now() > deadline) throw new Error(`/readyz still ${res.status} ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
