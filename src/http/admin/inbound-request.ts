// The body of POST /admin/v1/inbound: a mobile-originated message as a carrier would deliver it.
import { z } from 'zod';
import type { CarrierInbound } from '../../core/delivery/carrier.js';
import { errors } from '../../core/errors.js';
import { isE164 } from '../../core/phone/phone-number.js';

const e164 = z.string().refine(isE164, { message: 'must be an E.164 number' });

const attachment = z.union([
  z.string().regex(/^https?:\/\//i, { message: 'must be an http(s) URL' }),
  z.strictObject({ url: z.string().regex(/^https?:\/\//i, { message: 'must be an http(s) URL' }) }),
  z.strictObject({
    fileName: z.string().min(1).max(255),
    contentType: z.string().min(1).max(255).optional(),
    base64: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, { message: 'must be base64' }),
  }),
]);

export const inboundSchema = z.strictObject({
  // Remote senders may be long codes, short codes or alphanumeric ids.
  from: z.string().min(1).max(32),
  to: z.union([e164, z.array(e164).min(1).max(100)]),
  text: z.string().max(10_000).optional(),
  media: z.array(attachment).max(10).optional(),
});

export function parseInbound(body: unknown, now: number, maxMediaBytes: number): CarrierInbound {
  const result = inboundSchema.safeParse(body);
  if (!result.success) {
    throw errors.validation(
      result.error.issues.map((i) => ({ fieldName: i.path.join('.') || 'body', description: i.message })),
    );
  }
  const input = result.data;
  if (!input.text && !input.media?.length) {
    throw errors.validation([{ fieldName: 'text', description: "'text' is required unless media is included" }]);
  }
  const media = (input.media ?? []).map((m) => {
    if (typeof m === 'string') return { url: m };
    if ('url' in m) return { url: m.url };
    const data = Buffer.from(m.base64, 'base64');
    if (data.length > maxMediaBytes) throw errors.payloadTooLarge(maxMediaBytes);
    return { fileName: m.fileName, contentType: m.contentType, data };
  });
  return { from: input.from, to: typeof input.to === 'string' ? [input.to] : input.to, text: input.text, media, time: now };
}
