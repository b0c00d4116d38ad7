// Capped exponential backoff with jitter: the delay doubles per attempt up to a cap, and a random
// share of it is taken off so that retries of many messages do not land on the same beat.
export function backoffMs(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential * (0.5 + random() * 0.5));
}
