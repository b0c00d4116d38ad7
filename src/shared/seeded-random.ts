// A small seeded PRNG, so that "fail 5 % of messages" fails the same messages on every run with the
// same seed: a flaky test can then be replayed instead of re-rolled. Not for anything secret.

/** mulberry32: 32 bits of state, full period 2^32, good enough statistics for simulated failures. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
