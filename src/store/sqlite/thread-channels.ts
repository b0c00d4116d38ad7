// Wake-ups between the threads of one process that share a SQLite file: the default deployment
// serves HTTP on the main thread and delivers in a worker thread (main/worker-thread.ts), each with
// its own connection. This is the embedded engine's counterpart of PostgreSQL's LISTEN/NOTIFY and,
// like it, a hint to look now: the workers still poll, so a lost wake-up only delays work.
//
// A BroadcastChannel reaches every other channel object of the same name in the process, never the
// one that posted, so a thread does not wake itself. Names carry the database file's path: two
// Pigeons in one process (tests) on different files do not hear each other.
import { resolve } from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import type { StoreChannel } from '../../core/ports.js';

export class ThreadChannels {
  private readonly channels = new Map<StoreChannel, BroadcastChannel>();
  /** Channels with a post scheduled for this turn, with the payloads to join: many commits in one turn send one message. */
  private readonly scheduled = new Map<StoreChannel, Set<string>>();
  private closed = false;

  constructor(private readonly databasePath: string) {}

  /** Tells the other threads on this database to look at `channel` now; payloads of one turn are joined with commas. */
  post(channel: StoreChannel, payload?: string): void {
    if (this.closed) return;
    const pending = this.scheduled.get(channel);
    if (pending) {
      if (payload) pending.add(payload);
      return;
    }
    this.scheduled.set(channel, new Set(payload ? [payload] : []));
    setImmediate(() => {
      const payloads = this.scheduled.get(channel);
      this.scheduled.delete(channel);
      if (!this.closed) this.channel(channel).postMessage([...(payloads ?? [])].join(','));
    });
  }

  listen(channel: StoreChannel, onNotify: (payload: string) => void): () => Promise<void> {
    const target = this.channel(channel);
    const handler = (event: Event) => onNotify(String((event as MessageEvent).data ?? ''));
    target.addEventListener('message', handler);
    return async () => target.removeEventListener('message', handler);
  }

  close(): void {
    this.closed = true;
    for (const channel of this.channels.values()) channel.close();
    this.channels.clear();
  }

  private channel(name: StoreChannel): BroadcastChannel {
    let channel = this.channels.get(name);
    if (!channel) {
      channel = new BroadcastChannel(`pigeon:${resolve(this.databasePath)}:${name}`);
      // A listener must not keep a process alive that has nothing else to do.
      channel.unref();
      this.channels.set(name, channel);
    }
    return channel;
  }
}
