// What a list shows of a message's content: the start of its text, or what an MMS without text carries.
import type { Message } from './message.js';

export const PREVIEW_LENGTH = 60;

export function messagePreview(message: Pick<Message, 'text' | 'media'>): string {
  const text = (message.text ?? '').replace(/\s+/g, ' ').trim();
  if (text) return [...text].length > PREVIEW_LENGTH ? `${[...text].slice(0, PREVIEW_LENGTH - 1).join('')}…` : text;
  const files = message.media?.length ?? 0;
  return files > 0 ? `MMS: ${files} ${files === 1 ? 'file' : 'files'}` : '';
}
