// Builds a recipient's status change together with the callback that reports it, if its
// application has a callback URL and the change is one Bandwidth reports.
import type { AccountDirectory } from '../accounts/directory.js';
import { callbackBody, type CallbackType } from '../callbacks/callback-body.js';
import type { Message, MessageStatus } from '../messages/message.js';
import type { StatusChange } from '../ports.js';

const CALLBACK_OF: Partial<Record<MessageStatus, CallbackType>> = {
  DELIVERED: 'message-delivered',
  FAILED: 'message-failed',
  RECEIVED: 'message-received',
};

export function statusChange(
  directory: AccountDirectory,
  message: Message,
  destinationTn: string,
  status: MessageStatus,
  time: number,
  options: { errorCode?: number; detail?: string } = {},
): StatusChange {
  // message-sending exists for MMS only (reference e.2).
  const type = status === 'SENDING' && message.type === 'mms' ? 'message-sending' : CALLBACK_OF[status];
  const application = directory.application(message.accountId, message.applicationId);
  const url = type === 'message-received' ? (application?.inboundCallbackUrl ?? application?.callbackUrl) : application?.callbackUrl;
  return {
    messageId: message.id,
    accountId: message.accountId,
    destinationTn,
    status,
    time,
    errorCode: options.errorCode,
    detail: options.detail,
    callback:
      type && url
        ? {
            messageId: message.id,
            accountId: message.accountId,
            applicationId: message.applicationId,
            eventType: type,
            url,
            body: callbackBody(type, message, message.direction === 'in' ? message.owner : destinationTn, time, options.errorCode),
            ...(message.requestId !== undefined && { requestId: message.requestId }),
          }
        : undefined,
  };
}
