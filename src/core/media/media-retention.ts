// Media is kept for a limited time (48 h at Bandwidth, reference j.1); this loop deletes what has aged out.
import type { MediaStore } from '../ports.js';

export function startMediaRetention(
  store: Pick<MediaStore, 'deleteMediaCreatedBefore'>,
  retentionHours: number,
  now: () => number,
  onError: (err: unknown) => void,
  intervalMs = 10 * 60_000,
): () => void {
  if (retentionHours <= 0) return () => {};
  const sweep = () => {
    store.deleteMediaCreatedBefore(now() - retentionHours * 3_600_000).catch(onError);
  };
  sweep();
  const timer = setInterval(sweep, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
