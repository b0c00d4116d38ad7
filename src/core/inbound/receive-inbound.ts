// A message arriving from a carrier (or injected through the admin API as if it had): one copy per
// addressed number that Pigeon owns, each with its own id and `owner`, stored with its
// `message-received` callback in one transaction (reference e.8, e.9).
import type { AccountDirectory } from '../accounts/directory.js';
import type { CarrierInbound } from '../delivery/carrier.js';
import { statusChange } from '../delivery/status-change.js';
import { countSegments } from '../encoding/segments.js';
import type { Message } from '../messages/message.js';
import { errors } from '../errors.js';
import { newMessageId } from '../messages/message-id.js';
import { messageRecord } from '../messages/message-record.js';
import type { OptOutService } from '../opt-out/opt-out-service.js';
import type { DeliveryStore, MediaStore } from '../ports.js';

export interface InboundDeps {
  store: { delivery: DeliveryStore; media: MediaStore };
  directory: AccountDirectory;
  /** Base URL of the v2 API, e.g. http://127.0.0.1:8080/api/v2, for links to stored inbound media. */
  mediaBaseUrl: string;
  /** Opt-out, opt-in and help keywords; absent, every message only goes to the application. */
  optOut?: OptOutService;
  /**
   * The account's media quota for attachments (a 413 past it). Absent for what a carrier delivers,
   * which must not be refused for the account's uploads; given for the console's phone replies.
   */
  mediaQuotaBytes?: number | undefined;
}

function safeFileName(name: string | undefined, index: number): string {
  const cleaned = (name ?? '').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return cleaned.length > 0 ? cleaned.slice(0, 128) : `attachment-${index}`;
}

/**
 * Stores the copies and resolves with them; with none when no addressed number is Pigeon's, which
 * the caller reports (a 400 to an admin request; a warning for a carrier, which must not be told to
 * offer the message again, since it would never be taken).
 */
export async function receiveInbound(deps: InboundDeps, inbound: CarrierInbound): Promise<Message[]> {
  const owned = [...new Set(inbound.owners ?? inbound.to)].flatMap((number) => {
    const application = deps.directory.ownerOfNumber(number);
    return application ? [{ number, application }] : [];
  });
  if (owned.length === 0) return [];

  const copies = [];
  for (const { number, application } of owned) {
    const id = newMessageId(inbound.time);
    // Attachments that arrive as bytes are stored under {messageId}/{index}/{fileName} (reference h.2).
    const media: string[] = [];
    for (const [index, attachment] of inbound.media.entries()) {
      if (attachment.data) {
        const name = `${id}/${index}/${safeFileName(attachment.fileName, index)}`;
        const stored = await deps.store.media.putMedia(
          {
            accountId: application.accountId,
            name,
            contentType: attachment.contentType ?? 'application/octet-stream',
            cacheControl: undefined,
            data: attachment.data,
            createdAt: inbound.time,
          },
          deps.mediaQuotaBytes,
        );
        if (!stored && deps.mediaQuotaBytes !== undefined) throw errors.mediaQuotaExceeded(attachment.data.length, deps.mediaQuotaBytes);
        media.push(`${deps.mediaBaseUrl}/users/${encodeURIComponent(application.accountId)}/media/${name}`);
      } else if (attachment.url) {
        media.push(attachment.url);
      }
    }
    const isMms = media.length > 0 || inbound.to.length > 1;
    const message: Message = {
      id,
      accountId: application.accountId,
      applicationId: application.id,
      direction: 'in',
      owner: number,
      from: inbound.from,
      to: [...inbound.to],
      text: inbound.text,
      media: media.length > 0 ? media : undefined,
      tag: undefined,
      priority: 'default',
      expiration: undefined,
      expiresAt: undefined,
      segmentCount: isMms ? 1 : countSegments(inbound.text ?? '').segments,
      type: isMms ? 'mms' : 'sms',
      time: inbound.time,
    };
    const change = statusChange(deps.directory, message, number, 'RECEIVED', inbound.time);
    copies.push({ message, record: messageRecord(message, number, 'RECEIVED'), callback: change.callback });
  }
  // A keyword's block is recorded before the message is stored and reaches the application, and
  // its reply sent after. A failure in between rejects, so a carrier offers the message again:
  // recording a block is idempotent, and inbound delivery is at least once anyway.
  const replies = (await deps.optOut?.recordKeywords(copies.map((c) => c.message))) ?? [];
  await deps.store.delivery.acceptInbound(copies);
  await deps.optOut?.sendReplies(replies);
  return copies.map((c) => c.message);
}
