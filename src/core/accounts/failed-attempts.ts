// Failed sign-in attempts, for every surface that checks a credential (console sign-in, Basic Auth,
// the OAuth2 token endpoint, the admin and metrics bearer tokens, SMPP binds). One limiter per
// process is shared by all of them, so a client guessing through several surfaces fills one bucket.
//
// Three sliding windows of failures, so that a flood of bad credentials refuses no good ones:
// - per (credential, client): a client guessing one credential is stopped after a few tries;
// - per client: a client guessing many credentials is stopped too, except for credentials it
//   signed in with recently (an application behind the same NAT as a guesser keeps working);
// - per credential: only failures count, and when it is full (guesses for one credential from many
//   clients) it does not refuse: clients that signed in with the credential recently still pass,
//   and others are let through one at a time (one check per credential per second), so the right
//   password still gets in from a new client while guessing slows to a trickle.
// A refused attempt is not a failure: it was not checked, so it cannot fill anyone's bucket.

export interface FailedAttemptLimits {
  /** Failures of one credential from one client within the window. */
  perCredentialAndClient: number;
  /** Failures of any credential from one client within the window. */
  perClient: number;
  /** Failures of one credential from all clients, past which new clients are let through one at a time. */
  perCredential: number;
  windowMs: number;
}

export const DEFAULT_FAILED_ATTEMPT_LIMITS: FailedAttemptLimits = {
  perCredentialAndClient: 10,
  perClient: 30,
  perCredential: 100,
  windowMs: 60_000,
};

/** While a credential's bucket is full, clients it does not know get one check per this interval. */
const TRICKLE_MS = 1000;
/** Bound on every map: past it, entries whose window has passed are swept, then the oldest dropped. */
const MAX_KEYS = 100_000;

class Windows {
  private readonly times = new Map<string, number[]>();

  constructor(
    private readonly windowMs: number,
    private readonly cap: number,
  ) {}

  /** Failures of `key` within the window, oldest first. */
  recent(key: string, now: number): number[] {
    const times = this.times.get(key);
    if (!times) return [];
    const cutoff = now - this.windowMs;
    while (times.length > 0 && (times[0] as number) <= cutoff) times.shift();
    if (times.length === 0) this.times.delete(key);
    return times;
  }

  add(key: string, now: number): void {
    const times = this.recent(key, now);
    times.push(now);
    // More than the limit is never needed to decide.
    if (times.length > this.cap) times.shift();
    this.times.set(key, times);
    if (this.times.size > MAX_KEYS) this.sweep(now);
  }

  delete(key: string): void {
    this.times.delete(key);
  }

  private sweep(now: number): void {
    for (const key of [...this.times.keys()]) this.recent(key, now);
    while (this.times.size > MAX_KEYS) this.times.delete(this.times.keys().next().value as string);
  }
}

export class FailedAttempts {
  private readonly pairs: Windows;
  private readonly clients: Windows;
  private readonly credentials: Windows;
  /** Per credential: clients that signed in with it, and when. */
  private readonly known = new Map<string, Map<string, number>>();
  private readonly lastTrickle = new Map<string, number>();

  constructor(
    readonly limits: FailedAttemptLimits = DEFAULT_FAILED_ATTEMPT_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    this.pairs = new Windows(limits.windowMs, limits.perCredentialAndClient);
    this.clients = new Windows(limits.windowMs, limits.perClient);
    this.credentials = new Windows(limits.windowMs, limits.perCredential);
  }

  /** Seconds the client must wait before trying `credential` again; 0 when it may try now. */
  retryAfter(credential: string, client: string): number {
    const now = this.now();
    const pair = this.pairs.recent(pairKey(credential, client), now);
    const byClient = this.clients.recent(client, now);
    if (pair.length >= this.limits.perCredentialAndClient) return this.until(pair, now);
    const known = this.knows(credential, client, now);
    if (byClient.length >= this.limits.perClient && !known) return this.until(byClient, now);
    if (!known && this.credentials.recent(credential, now).length >= this.limits.perCredential) {
      const last = this.lastTrickle.get(credential) ?? Number.NEGATIVE_INFINITY;
      if (now - last < TRICKLE_MS) return 1;
      this.lastTrickle.set(credential, now);
      if (this.lastTrickle.size > MAX_KEYS) this.lastTrickle.clear();
    }
    return 0;
  }

  failed(credential: string, client: string): void {
    const now = this.now();
    this.pairs.add(pairKey(credential, client), now);
    this.clients.add(client, now);
    this.credentials.add(credential, now);
  }

  succeeded(credential: string, client: string): void {
    const now = this.now();
    this.pairs.delete(pairKey(credential, client));
    let clients = this.known.get(credential);
    // Steady traffic (Basic Auth on every request) refreshes its entry once a minute, not per request.
    const since = clients?.get(client);
    if (since !== undefined && now - since < 60_000) return;
    if (!clients) {
      if (this.known.size >= MAX_KEYS) this.known.clear();
      clients = new Map();
      this.known.set(credential, clients);
    }
    // Re-inserted so that the oldest is first when the per-credential map is trimmed.
    clients.delete(client);
    clients.set(client, now);
    if (clients.size > 1000) clients.delete(clients.keys().next().value as string);
  }

  private knows(credential: string, client: string, now: number): boolean {
    const since = this.known.get(credential)?.get(client);
    // Known for a day: long enough to outlast an attack, short enough to forget a moved client.
    return since !== undefined && now - since < 86_400_000;
  }

  private until(times: readonly number[], now: number): number {
    return Math.max(1, Math.ceil(((times[0] ?? now) + this.limits.windowMs - now) / 1000));
  }
}

const pairKey = (credential: string, client: string) => `${credential}\0${client}`;
