// What the opt-out list needs from a store. Blocks and their audit trail are written together, in
// one transaction per call.
import type { OptOutScope } from './keywords.js';

export type OptOutAction = 'opt-out' | 'opt-in' | 'help';
/** Who made a change: a keyword from the phone, the admin API or CLI by hand, or a CSV import. */
export type OptOutSource = 'keyword' | 'admin' | 'import';

/** Who opted out where, and what made it so: shared by a block and an audit event. */
interface OptOutFacts {
  accountId: string;
  scope: OptOutScope;
  /** The receiving number, the application id or the account id, by scope. */
  scopeKey: string;
  recipient: string;
  /** The keyword that made it (normalised), if a keyword did. */
  keyword: string | undefined;
  source: OptOutSource;
  inboundMessageId: string | undefined;
}

/** One block: `recipient` receives nothing from sends within (scope, scopeKey). */
export interface OptOutEntry extends OptOutFacts {
  createdAt: number;
}

/**
 * A change to the list, kept in the audit trail. An opt-out adds the block in its scope (an
 * existing one is kept as it is); an opt-in with `from` removes every block of the recipient that
 * applies to sends from that number (its number, application or account), whatever scope it was
 * recorded in, and without `from` the entry's own block only; help changes nothing. `replyMessageId` names the keyword's reply, which no block stops.
 */
export interface OptOutChange {
  action: OptOutAction;
  entry: OptOutEntry;
  /** For keyword opt-ins: the receiving number, whose blocks of the recipient are all lifted. */
  from?: { number: string; applicationId: string };
  replyMessageId: string | undefined;
  /** When the change was made: the audit event's time. */
  time: number;
}

export interface OptOutEvent extends OptOutFacts {
  id: number;
  time: number;
  action: OptOutAction;
  replyMessageId: string | undefined;
  /** Whether the list changed (a block added or removed). */
  changed: boolean;
}

export interface OptOutQuery {
  accountId?: string;
  scope?: OptOutScope;
  scopeKey?: string;
  /** A full number, or the start of one. */
  recipientPrefix?: string;
  recipient?: string;
  offset: number;
  limit: number;
}

/** A send to check: from `from` of the application and account, to `recipient`, as message `messageId`. */
export interface OptOutCheck {
  accountId: string;
  applicationId: string;
  from: string;
  recipient: string;
  messageId: string;
}

export interface OptOutStore {
  /** Applies the changes in order, with their audit events, in one transaction; resolves whether each changed the list. */
  record(changes: readonly OptOutChange[]): Promise<boolean[]>;
  /**
   * The block that stops this send, reading committed state: a block whose transaction committed
   * before this call started is always seen. Undefined when none applies, or the message is a
   * keyword reply (exempt).
   */
  blockFor(check: OptOutCheck): Promise<OptOutEntry | undefined>;
  /** Blocks, oldest first. */
  list(query: OptOutQuery): Promise<OptOutEntry[]>;
  /** Audit events, newest first, optionally of one recipient and/or account. */
  events(query: { accountId?: string; recipient?: string; limit: number }): Promise<OptOutEvent[]>;
}
