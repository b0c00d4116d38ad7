// "Something about messages changed": accepted, a status moved, an inbound copy stored, a callback
// attempted. The console's event stream listens; it carries no data, so a listener re-reads what it
// shows through the ordinary (scoped) views. Fed by the store's own writes in this process
// (observeChanges) and, on PostgreSQL, by the LISTEN/NOTIFY wake-ups of other processes.
export class ChangeSignal {
  private readonly listeners = new Set<() => void>();

  on(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch {
        // A failing listener (a closed stream) must not stop the others or the write that signalled.
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
