// LISTEN on one dedicated connection, outside the pool: a pooled connection is handed to other
// queries between uses, and a session's LISTEN registrations (and the notifications queued for it)
// belong to that connection. PostgreSQL delivers a NOTIFY to the sessions listening at the time of
// the notifying transaction's commit and keeps nothing for a session that is not connected, so after
// a reconnect every handler is called once: whatever was notified in between is looked at then.
import pg, { type ClientConfig } from 'pg';

const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 10_000;
// A connection that died without a FIN (a firewall or NAT dropping an idle flow, a failover behind
// a virtual IP) looks healthy to a socket that only reads, and TCP keepalive under Linux defaults
// takes hours to notice. A listening session sends nothing on its own, so it is pinged.
const HEARTBEAT_MS = 30_000;
const HEARTBEAT_TIMEOUT_MS = 10_000;

export class NotificationListener {
  private client: pg.Client | undefined;
  /** Settles when the current connection attempt has (or has not) succeeded. */
  private connecting: Promise<void> | undefined;
  private readonly handlers = new Map<string, Set<(payload: string) => void>>();
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_FIRST_MS;
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;
  /** The connection's statements, one after another: subscriptions come and go in parallel. */
  private commands: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly config: ClientConfig,
    private readonly onError: (err: unknown) => void,
  ) {}

  /**
   * Calls `onNotify` after each commit that notified `channel`, in any process. Resolves once the
   * LISTEN is in effect, or once the first attempt to connect has failed (reported through
   * onError): the listener then keeps reconnecting in the background, and the workers' polling
   * covers the gap. Resolves with a function that stops this subscription.
   */
  /** `onNotify` gets the notification's payload ('' when it had none, or after a reconnect). */
  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    if (this.closed) throw new Error('the store is closed');
    let set = this.handlers.get(channel);
    if (!set) this.handlers.set(channel, (set = new Set()));
    // A distinct wrapper, so the same function subscribed twice is also unsubscribed twice.
    const handler = (payload: string) => onNotify(payload);
    set.add(handler);
    const client = await this.connected();
    // LISTEN is idempotent; a connection made meanwhile has already listened to every channel.
    if (client) await this.command(client, `LISTEN ${pg.escapeIdentifier(channel)}`).catch((err: unknown) => this.onError(err));
    return async () => {
      const current = this.handlers.get(channel);
      if (!current?.delete(handler) || current.size > 0) return;
      this.handlers.delete(channel);
      if (this.client) await this.command(this.client, `UNLISTEN ${pg.escapeIdentifier(channel)}`).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeat);
    this.handlers.clear();
    await this.connecting;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** Runs `sql` on `client` once the statements before it have settled (pg allows one at a time). */
  private command(client: pg.Client, sql: string): Promise<unknown> {
    const result = this.commands.then(() => client.query(sql));
    this.commands = result.catch(() => undefined);
    return result;
  }

  /** The connected client, connecting first if needed; undefined while it cannot connect. */
  private async connected(): Promise<pg.Client | undefined> {
    if (!this.client && !this.connecting && !this.retryTimer) this.connecting = this.connect(false);
    await this.connecting;
    return this.client;
  }

  private async connect(reconnect: boolean): Promise<void> {
    let client: pg.Client | undefined;
    try {
      client = new pg.Client({ ...this.config, keepAlive: true });
      const current = client;
      // Without an 'error' listener a dropped connection would be an uncaught exception.
      client.on('error', (err) => this.lost(current, err));
      client.on('end', () => this.lost(current, undefined));
      client.on('notification', (message) => this.dispatch(message.channel, message.payload ?? ''));
      await client.connect();
      for (const channel of this.handlers.keys()) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      if (this.closed) {
        await client.end();
        return;
      }
      this.client = client;
      this.retryMs = RETRY_FIRST_MS;
      this.startHeartbeat(client);
      if (reconnect) for (const channel of this.handlers.keys()) this.dispatch(channel);
    } catch (err) {
      client?.removeAllListeners('end');
      await client?.end().catch(() => undefined);
      this.onError(new Error(`postgres listener: cannot connect: ${(err as Error).message}`, { cause: err }));
      this.scheduleReconnect();
    } finally {
      this.connecting = undefined;
    }
  }

  private startHeartbeat(client: pg.Client): void {
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer to a ping in ${HEARTBEAT_TIMEOUT_MS} ms`)), HEARTBEAT_TIMEOUT_MS);
      });
      Promise.race([this.command(client, 'SELECT 1'), timeout])
        .catch((err: Error) => this.lost(client, err))
        .finally(() => clearTimeout(timer));
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private lost(client: pg.Client, err: Error | undefined): void {
    if (this.client !== client) return;
    this.client = undefined;
    clearInterval(this.heartbeat);
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.onError(new Error(`postgres listener: connection lost${err ? `: ${err.message}` : ''}; reconnecting`, { cause: err }));
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closed && !this.client && !this.connecting) this.connecting = this.connect(true);
    }, delay);
    // A pending reconnect alone should not keep the process alive.
    this.retryTimer.unref();
  }

  private dispatch(channel: string, payload = ''): void {
    for (const handler of this.handlers.get(channel) ?? []) {
      try {
        handler(payload);
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
