// The console's message list shows what each message says: its preview (core/messages/preview.ts)
// and tag, read for the messages of the page (at most one page of records, so a handful of reads).
import { messagePreview } from '../../core/messages/preview.js';
import type { DeliveryStore } from '../../core/ports.js';

export async function withPreviews<T extends { messages: Array<{ messageId: string }> }>(
  delivery: Pick<DeliveryStore, 'getMessage'>,
  list: T,
): Promise<T & { messages: Array<T['messages'][number] & { preview: string; tag: string | null }> }> {
  const ids = [...new Set(list.messages.map((m) => m.messageId))];
  const found = await Promise.all(ids.map((id) => delivery.getMessage(id)));
  const byId = new Map(found.filter((m) => m !== undefined).map((m) => [m.id, m]));
  return {
    ...list,
    messages: list.messages.map((item) => {
      const message = byId.get(item.messageId);
      return { ...item, preview: message ? messagePreview(message) : '', tag: message?.tag ?? null };
    }),
  };
}
