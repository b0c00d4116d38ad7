// The `tag` Pigeon sends upstream with each message: Pigeon's own message id, so an event the
// upstream reports can be checked against a message Pigeon really sent before it changes anything.
const PREFIX = 'pigeon:';

export function pigeonTag(messageId: string): string {
  return `${PREFIX}${messageId}`;
}

/** The Pigeon message id a tag carries, or undefined for a tag Pigeon did not write. */
export function messageIdOfTag(tag: unknown): string | undefined {
  return typeof tag === 'string' && tag.startsWith(PREFIX) && tag.length > PREFIX.length ? tag.slice(PREFIX.length) : undefined;
}
