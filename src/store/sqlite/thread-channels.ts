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
  /** Channels with a post scheduled for this turn: many commits in one turn send one message. */
  private readonly scheduled = new Set<StoreChannel>();
  private closed = false;

  constructor(private readonly databasePath: string) {}

  /** Tells the other threads on this database to look at `channel` now. */
  post(channel: StoreChannel): void {
    if (this.closed || this.scheduled.has(channel)) return;
    this.scheduled.add(channel);
    setImmediate(() => {
      this.scheduled.delete(channel);
      if (!this.closed) this.channel(channel).postMessage(0);
    });
  }

  listen(channel: StoreChannel, onNotify: () => void): () => Promise<void> {
    const target = this.channel(channel);
    const handler = () => onNotify();
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
