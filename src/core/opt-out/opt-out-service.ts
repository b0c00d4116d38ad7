// Keywords on the inbound path and the block on the delivery path. Every inbound path (carrier
// adapters, the admin API, the CLI) goes through core/inbound/receive-inbound.ts, which calls
// recordKeywords before it stores the message and sendReplies after; the delivery worker calls
// isBlocked right before it hands a recipient to the carrier.
import type { AccountDirectory } from '../accounts/directory.js';
import { ApiError } from '../errors.js';
import type { Message } from '../messages/message.js';
import { newMessageId } from '../messages/message-id.js';
import { sendMessage, type SendDeps } from '../messages/send-message.js';
import type { DeliveryJob } from '../ports.js';
import { classify, replyText, type Keyword, type OptOutPolicy, type OptOutScope } from './keywords.js';
import type { OptOutAction, OptOutChange, OptOutEntry, OptOutSource, OptOutStore } from './opt-out-port.js';

export interface OptOutDeps {
  store: SendDeps['store'] & { optOuts: OptOutStore };
  directory: AccountDirectory;
  policy: OptOutPolicy;
  now: () => number;
  throughput?: SendDeps['throughput'];
  /** A reply was queued: the delivery worker can take it now. */
  onReplyQueued?: () => void;
  /** A reply the send path refused (a full queue, a sender that is not a phone number): logged, the keyword still counts. */
  onReplyRefused?: (err: ApiError, reply: { from: string; to: string; keyword: string }) => void;
}

/** A keyword reply whose id is already in the audit trail, to be sent once the inbound message is stored. */
export interface PendingReply {
  id: string;
  accountId: string;
  applicationId: string;
  from: string;
  to: string;
  text: string;
  keyword: string;
}

const ACTION: Record<Keyword['keywordClass'], OptOutAction> = { optOut: 'opt-out', optIn: 'opt-in', help: 'help' };

export class OptOutService {
  constructor(private readonly deps: OptOutDeps) {}

  /**
   * Records what the keywords among these inbound copies change, before the copies are stored (so
   * by the time the application hears of a STOP, the block is in force), and returns the replies
   * to send. Keywords count in one-to-one messages only: a word sent to a group is conversation.
   * Each reply's id is written with its audit event, in the same transaction, so that the reply is
   * exempt from the block before it exists.
   */
  async recordKeywords(copies: readonly Message[]): Promise<PendingReply[]> {
    const changes: OptOutChange[] = [];
    const replies: PendingReply[] = [];
    for (const copy of copies) {
      if (copy.direction !== 'in' || copy.to.length !== 1) continue;
      const settings = this.deps.policy.settingsFor(copy.accountId, copy.applicationId);
      if (!settings.enabled) continue;
      const keyword = classify(copy.text, settings);
      if (!keyword) continue;
      const reply: PendingReply = {
        id: newMessageId(this.deps.now()),
        accountId: copy.accountId,
        applicationId: copy.applicationId,
        from: copy.owner,
        to: copy.from,
        text: replyText(settings, keyword),
        keyword: keyword.keyword,
      };
      const action = ACTION[keyword.keywordClass];
      changes.push({
        action,
        entry: {
          accountId: copy.accountId,
          scope: settings.scope,
          scopeKey: scopeKey(settings.scope, copy),
          recipient: copy.from,
          keyword: keyword.keyword,
          source: 'keyword',
          inboundMessageId: copy.id,
          createdAt: copy.time,
        },
        from: action === 'opt-in' ? { number: copy.owner, applicationId: copy.applicationId } : undefined,
        replyMessageId: reply.id,
        time: copy.time,
      });
      replies.push(reply);
    }
    if (changes.length > 0) await this.deps.store.optOuts.record(changes);
    return replies;
  }

  /**
   * Sends each reply through the API's own send path, so it is a message like any other: listed,
   * with its status and callbacks. A reply the send path refuses is reported and skipped; a store
   * failure rejects, so a carrier offers the keyword again (its block is idempotent).
   */
  async sendReplies(replies: readonly PendingReply[]): Promise<void> {
    for (const reply of replies) {
      const account = this.deps.directory.account(reply.accountId);
      if (!account) continue;
      try {
        await sendMessage(
          { store: this.deps.store, now: this.deps.now, throughput: this.deps.throughput },
          account,
          { applicationId: reply.applicationId, from: reply.from, to: [reply.to], text: reply.text },
          undefined,
          { messageId: reply.id },
        );
        this.deps.onReplyQueued?.();
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        this.deps.onReplyRefused?.(err, reply);
      }
    }
  }

  /** Whether an opted-out recipient stops this job; always false where opt-out handling is off. */
  async isBlocked(job: DeliveryJob): Promise<boolean> {
    const { message, destinationTn } = job;
    if (message.direction !== 'out') return false;
    if (!this.deps.policy.settingsFor(message.accountId, message.applicationId).enabled) return false;
    const block = await this.deps.store.optOuts.blockFor({
      accountId: message.accountId,
      applicationId: message.applicationId,
      from: message.from,
      recipient: destinationTn,
      messageId: message.id,
    });
    return block !== undefined;
  }

  /** The account a scope belongs to, or undefined when no such number, application or account is configured. */
  accountOf(scope: OptOutScope, key: string): string | undefined {
    const { directory } = this.deps;
    if (scope === 'number') return directory.ownerOfNumber(key)?.accountId;
    if (scope === 'account') return directory.account(key)?.id;
    for (const account of directory.allAccounts()) if (account.applications.has(key)) return account.id;
    return undefined;
  }

  /** Adds (opt-out) or removes (opt-in) blocks by hand or by import, with their audit events; resolves whether each changed the list. */
  change(
    action: 'opt-out' | 'opt-in',
    entries: ReadonlyArray<Omit<OptOutEntry, 'source' | 'inboundMessageId' | 'createdAt'> & { createdAt?: number }>,
    source: OptOutSource,
  ): Promise<boolean[]> {
    const now = this.deps.now();
    return this.deps.store.optOuts.record(
      entries.map((entry) => ({
        action,
        entry: { ...entry, source, inboundMessageId: undefined, createdAt: entry.createdAt ?? now },
        replyMessageId: undefined,
        time: now,
      })),
    );
  }
}

function scopeKey(scope: OptOutScope, copy: Message): string {
  if (scope === 'number') return copy.owner;
  if (scope === 'application') return copy.applicationId;
  return copy.accountId;
}
