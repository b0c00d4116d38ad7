// Accepting an outbound message: validate, build the stored message and its per-recipient
// records, and hand both to the store, which writes them and their queue entries in one
// transaction. The caller answers 202 only after that promise resolves.
import type { Account } from '../accounts/directory.js';
import { countSegments } from '../encoding/segments.js';
import { smartEncode } from '../encoding/smart-encoding.js';
import { errors, type FieldError } from '../errors.js';
import type { ThroughputPolicy } from '../delivery/rate-policy.js';
import type { DeliveryStore, MediaStore, MessageStore } from '../ports.js';
import type { Message } from './message.js';
import { messageRecord } from './message-record.js';
import { newMessageId } from './message-id.js';
import { toMessageResponse, type MessageResponse } from './message-response.js';
import { validateSendRequest } from './send-request.js';

/** Where a media URL points inside Pigeon's own media store, if it does. */
export type LocalMediaResolver = (url: string) => { accountId: string; name: string } | undefined;

export interface SendDeps {
  store: { messages: MessageStore; media: Pick<MediaStore, 'hasMedia'>; delivery: Pick<DeliveryStore, 'queuedCount'> };
  now: () => number;
  /** Sizes each account's queue; without it the queue is unbounded. */
  throughput?: Pick<ThroughputPolicy, 'queueCapacity' | 'accountRatePerMinute'>;
}

async function checkLocalMedia(
  deps: SendDeps,
  account: Account,
  media: readonly string[],
  resolve: LocalMediaResolver,
): Promise<FieldError[]> {
  const problems: FieldError[] = [];
  for (const url of media) {
    const local = resolve(url);
    if (!local) continue;
    // Another account's media is reported exactly like missing media, so its existence does not leak.
    if (local.accountId !== account.id || !(await deps.store.media.hasMedia(account.id, local.name))) {
      problems.push({ fieldName: 'media', description: `'${url}' does not name media stored for this account` });
    }
  }
  return problems;
}

export async function sendMessage(
  deps: SendDeps,
  account: Account,
  body: unknown,
  resolveLocalMedia: LocalMediaResolver = () => undefined,
  /**
   * `messageId`: an id chosen beforehand (a keyword reply's id is in the opt-out audit trail before it is sent).
   * `requestId`: the request that sent it, kept with the message for the log lines of its delivery and callbacks.
   */
  options: { messageId?: string; requestId?: string } = {},
): Promise<MessageResponse> {
  const now = deps.now();
  // Reference b.2: a body that is not an object has no fields to blame, so no fieldErrors.
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw errors.badRequest('The request body must be a JSON object');
  }
  const validated = validateSendRequest(body, account, now);
  const mediaErrors = await checkLocalMedia(deps, account, validated.wellFormedMedia, resolveLocalMedia);
  const request = validated.value;
  if (!request || mediaErrors.length > 0) throw errors.validation([...validated.fieldErrors, ...mediaErrors]);

  const capacity = deps.throughput?.queueCapacity(account.id);
  // Checked before writing, so concurrent requests can overshoot by a few: the limit protects the
  // queue from floods, it is not an exact quota.
  if (capacity !== undefined && (await deps.store.delivery.queuedCount(account.id)) + request.to.length > capacity) {
    const perMinute = deps.throughput?.accountRatePerMinute(account.id) ?? 0;
    // How long the full queue takes to drain at the account's rate, as Bandwidth's message states it.
    const minutes = perMinute > 0 ? Math.round((capacity / perMinute) * 10) / 10 : 0;
    throw errors.queueFull(perMinute, capacity, minutes);
  }

  // Media makes it an MMS whatever the recipient count; more than one recipient makes it a group MMS.
  const isMms = request.media !== undefined || request.to.length > 1;
  // What is counted, stored, listed and handed to the carrier is the text after smart encoding.
  const smart = !isMms && request.text !== undefined && account.applications.get(request.applicationId)?.smartEncoding === true;
  const text = smart && request.text !== undefined ? smartEncode(request.text) : request.text;
  const message: Message = {
    id: options.messageId ?? newMessageId(now),
    accountId: account.id,
    applicationId: request.applicationId,
    direction: 'out',
    owner: request.from,
    from: request.from,
    to: request.to,
    text,
    media: request.media,
    tag: request.tag,
    priority: request.priority,
    expiration: request.expiration,
    expiresAt: request.expiresAt,
    segmentCount: isMms ? 1 : countSegments(text ?? '').segments,
    type: isMms ? 'mms' : 'sms',
    time: now,
    ...(options.requestId !== undefined && { requestId: options.requestId }),
  };
  await deps.store.messages.acceptOutbound(
    message,
    message.to.map((destination) => messageRecord(message, destination, 'QUEUED')),
  );
  return toMessageResponse(message);
}

