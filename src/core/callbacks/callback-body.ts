// Callback bodies exactly as Bandwidth sends them (reference e.3–e.9): a JSON array with one event,
// `text` always present and empty on status events, `errorCode` only on failures, optional message
// fields omitted rather than null.
import type { Message } from '../messages/message.js';
import { errorCodeName } from '../delivery/error-codes.js';

export type CallbackType = 'message-received' | 'message-sending' | 'message-delivered' | 'message-failed';

function describe(type: CallbackType, message: Message, errorCode: number | undefined): string {
  switch (type) {
    case 'message-received':
      return 'Incoming message received';
    case 'message-sending':
      return 'Message is sending to carrier';
    case 'message-delivered':
      // An SMS receipt comes from the handset's carrier; MMS delivery is the hand-off to the carrier.
      return message.type === 'sms' ? 'ok' : 'Message delivered to carrier';
    case 'message-failed':
      return errorCodeName(errorCode ?? 0);
  }
}

export function callbackBody(
  type: CallbackType,
  message: Message,
  to: string,
  time: number,
  errorCode?: number,
): string {
  const inbound = message.direction === 'in';
  const event = {
    type,
    time: new Date(time).toISOString(),
    description: describe(type, message, errorCode),
    to,
    ...(type === 'message-failed' && { errorCode: errorCode ?? 0 }),
    message: {
      id: message.id,
      owner: message.owner,
      applicationId: message.applicationId,
      time: new Date(message.time).toISOString(),
      segmentCount: message.segmentCount,
      direction: message.direction,
      to: message.to,
      from: message.from,
      // Status events never echo the content; received messages carry it.
      text: inbound ? (message.text ?? '') : '',
      ...(message.media && { media: message.media }),
      ...(!inbound && message.tag !== undefined && { tag: message.tag }),
      ...(!inbound && { priority: message.priority }),
    },
  };
  return JSON.stringify([event]);
}
