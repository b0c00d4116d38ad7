// "Something about messages of these accounts changed": accepted, a status moved, an inbound copy
// stored, a callback attempted. The console's event stream listens and passes on only changes of
// its session's accounts; it carries no data, so a listener re-reads what it shows through the
// ordinary (scoped) views. Fed by the store's own writes in this process (observeChanges) and by
// the wake-ups of other threads and processes (their account ids in the notification's payload).
// An empty list is a change of unknown accounts (a reconnected listener): only the admin hears it.
export type ChangeListener = (accountIds: readonly string[]) => void;

export class ChangeSignal {
  private readonly listeners = new Set<ChangeListener>();

  on(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(accountIds: readonly string[]): void {
    for (const listener of this.listeners) {
      try {
        listener(accountIds);
      } catch {
        // A failing listener (a closed stream) must not stop the others or the write that signalled.
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
