// Notes on orders and disconnects: `<Note><UserId>…</UserId><Description>…</Description></Note>`,
// kept with the resource they are about, each with an id from the shared counter.
import type { Caller, NumbersDeps } from './context.js';
import { root, text } from './document.js';
import { numbersErrors } from './numbers-error.js';
import type { StoredResource } from './numbers-port.js';

export interface Note {
  readonly id: string;
  readonly userId: string;
  readonly description: string;
  readonly date: number;
}

const MAX_NOTES = 1000;

/** Adds a note to the resource (an order or a disconnect) and stores it; returns the note. */
export async function addNote<T extends { readonly notes?: readonly Note[] }>(deps: NumbersDeps, caller: Caller, resource: StoredResource<T>, body: unknown): Promise<Note> {
  const doc = root(body, 'note');
  const notes = resource.doc.notes ?? [];
  if (notes.length >= MAX_NOTES) throw numbersErrors.invalid(`at most ${MAX_NOTES} notes are kept per order`);
  const note: Note = {
    id: String(await deps.store.nextId()),
    userId: text(doc, 'userId', { max: 100 }) ?? caller.username,
    description: text(doc, 'description', { required: true, max: 500 }) as string,
    date: deps.now(),
  };
  await deps.store.update({ ...resource, doc: { ...resource.doc, notes: [...notes, note] }, updatedAt: note.date });
  return note;
}
