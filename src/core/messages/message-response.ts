// The `Message` body of the 202 answer (reference c.1). Optional fields are omitted, never null:
// the legacy SDK rejects a null where it expects a string.
import type { Message } from './message.js';

export interface MessageResponse {
  id: string;
  owner: string;
  applicationId: string;
  time: string;
  segmentCount: number;
  direction: 'in' | 'out';
  to: string[];
  from: string;
  text?: string;
  media?: string[];
  tag?: string;
  priority: 'default' | 'high';
  expiration?: string;
}

export function toMessageResponse(message: Message): MessageResponse {
  // Built field by field, in Bandwidth's order, so absent optional fields are left out rather than undefined.
  return {
    id: message.id,
    owner: message.owner,
    applicationId: message.applicationId,
    time: new Date(message.time).toISOString(),
    segmentCount: message.segmentCount,
    direction: message.direction,
    to: message.to,
    from: message.from,
    ...(message.text !== undefined && { text: message.text }),
    ...(message.media !== undefined && { media: message.media }),
    ...(message.tag !== undefined && { tag: message.tag }),
    priority: message.priority,
    ...(message.expiration !== undefined && { expiration: message.expiration }),
  };
}
