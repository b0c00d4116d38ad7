// Synchronous checks of a `MessageRequest` (reference b.1, b.2): every bad field is reported at
// once, with Bandwidth's wording where it is documented. Business rules that Bandwidth checks after
// the 202 are left to delivery, except those that depend only on the account's own configuration
// (the application and its numbers), which a self-hosted server can and should answer at once.
import type { FieldError } from '../errors.js';
import type { Account } from '../accounts/directory.js';
import { isAlphanumericSenderId, isE164 } from '../phone/phone-number.js';
import type { Priority } from './message.js';
import { parseRfc3339 } from './rfc3339.js';

export const LIMITS = {
  textCharacters: 2048,
  tagCharacters: 1024,
  mediaUrls: 10,
  mediaUrlLength: 4096,
  recipients: 10,
} as const;

export interface SendRequest {
  applicationId: string;
  from: string;
  to: string[];
  text: string | undefined;
  media: string[] | undefined;
  tag: string | undefined;
  priority: Priority;
  expiration: string | undefined;
  expiresAt: number | undefined;
}

export interface SendValidation {
  /** Set only when `fieldErrors` is empty. */
  value: SendRequest | undefined;
  fieldErrors: FieldError[];
  /**
   * The media URLs that passed the syntax checks, even when other fields failed: the checks that need
   * the media store run on these, so their errors join the same list (one 400 names every bad field).
   */
  wellFormedMedia: string[];
}

/** Counts characters as Unicode code points, as JSON Schema's maxLength does. */
export function characterCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

function isHttpUrl(value: string): boolean {
  if (!/^https?:\/\//i.test(value)) return false;
  return URL.canParse(value);
}

const e164Error = (value: string) => `'${value}' must be replaced with a valid E164 formatted telephone number`;

/** `now` is epoch ms, for the expiration check. */
export function validateSendRequest(
  body: object,
  account: Account,
  now: number,
): SendValidation {
  const input = body as Record<string, unknown>;
  const errors: FieldError[] = [];
  const fail = (fieldName: string, description: string) => errors.push({ fieldName, description });

  // applicationId
  const applicationId = input.applicationId;
  let application = undefined;
  if (applicationId === undefined || applicationId === null || applicationId === '') {
    fail('applicationId', "'applicationId' is required");
  } else if (typeof applicationId !== 'string') {
    fail('applicationId', "'applicationId' must be a string");
  } else {
    application = account.applications.get(applicationId);
    if (!application) fail('applicationId', `'${applicationId}' is not an application of account ${account.id}`);
  }

  // from
  const from = input.from;
  if (from === undefined || from === null || from === '' || Array.isArray(from)) {
    fail('from', "'from' must contain exactly one telephone number");
  } else if (typeof from !== 'string') {
    fail('from', "'from' must be a string");
  } else if (!isE164(from) && (from.startsWith('+') || !isAlphanumericSenderId(from))) {
    fail('from', e164Error(from)); // a leading '+' means a phone number was meant, not a sender id
  } else if (application && !application.numbers.has(from)) {
    fail('from', `'${from}' is not a number of application ${application.id}`);
  }

  // to: a string or an array of strings, de-duplicated keeping the first occurrence.
  const rawTo = input.to;
  let to: string[] = [];
  if (rawTo === undefined || rawTo === null || rawTo === '' || (Array.isArray(rawTo) && rawTo.length === 0)) {
    fail('to', "'to' must contain at least one telephone number");
  } else if (typeof rawTo !== 'string' && !Array.isArray(rawTo)) {
    fail('to', "'to' must be a telephone number or an array of telephone numbers");
  } else {
    const list: unknown[] = typeof rawTo === 'string' ? [rawTo] : rawTo;
    const bad = list.filter((v) => typeof v !== 'string' || !isE164(v));
    for (const v of bad) fail('to', typeof v === 'string' ? e164Error(v) : "'to' entries must be strings");
    if (bad.length === 0) {
      to = [...new Set(list as string[])];
      if (to.length > LIMITS.recipients) {
        fail('to', `'to' must contain at most ${LIMITS.recipients} telephone numbers`);
      }
    }
  }

  // media
  const rawMedia = input.media;
  let media: string[] | undefined;
  const wellFormedMedia: string[] = [];
  if (rawMedia !== undefined && rawMedia !== null) {
    if (!Array.isArray(rawMedia)) {
      fail('media', "'media' must be an array of URLs");
    } else if (rawMedia.length > LIMITS.mediaUrls) {
      fail('media', `'media' must contain at most ${LIMITS.mediaUrls} URLs`);
    } else {
      for (const url of rawMedia) {
        if (typeof url !== 'string') fail('media', "'media' entries must be strings");
        else if (url.length > LIMITS.mediaUrlLength) {
          fail('media', `media URLs must be at most ${LIMITS.mediaUrlLength} characters`);
        } else if (!isHttpUrl(url)) fail('media', `'${url}' is not a valid http(s) URL`);
        else wellFormedMedia.push(url);
      }
      if (rawMedia.length > 0) media = rawMedia as string[];
    }
  }

  // text
  const text = input.text;
  const hasText = typeof text === 'string' && text !== '';
  const hasMedia = Array.isArray(rawMedia) && rawMedia.length > 0;
  if (text !== undefined && text !== null && typeof text !== 'string') {
    fail('text', "'text' must be a string");
  } else if (hasText && characterCount(text) > LIMITS.textCharacters) {
    fail('text', `'text' must be ${LIMITS.textCharacters} characters or less`);
  } else if (!hasText && !hasMedia) {
    fail('text', "'text' is required unless media is included");
  }

  // tag
  const tag = input.tag;
  if (tag !== undefined && tag !== null) {
    if (typeof tag !== 'string') fail('tag', "'tag' must be a string");
    else if (characterCount(tag) > LIMITS.tagCharacters) {
      fail('tag', `'tag' must be ${LIMITS.tagCharacters} characters or less`);
    }
  }

  // priority
  const priority = input.priority;
  if (priority !== undefined && priority !== null && priority !== 'default' && priority !== 'high') {
    fail('priority', "'priority' must be one of 'default' or 'high'");
  }

  // expiration
  const expiration = input.expiration;
  let expiresAt: number | undefined;
  if (expiration !== undefined && expiration !== null) {
    if (typeof expiration !== 'string' || (expiresAt = parseRfc3339(expiration)) === undefined) {
      fail('expiration', "'expiration' must be an RFC 3339 date-time such as 2031-03-14T01:59:26Z");
    } else if (expiresAt <= now) {
      fail('expiration', "'expiration' must be in the future");
    }
  }

  // A number whose Numbers API location has SMS but not MMS: Bandwidth refuses an MMS from it as
  // 4403 rejected-forbidden-from-number; Pigeon knows at once and answers synchronously.
  if (application && typeof from === 'string' && application.smsOnly?.has(from) && (hasMedia || to.length > 1)) {
    fail('from', `'${from}' is not enabled for MMS: its location has no MMS feature (4403 rejected-forbidden-from-number)`);
  }

  if (errors.length > 0) return { value: undefined, fieldErrors: errors, wellFormedMedia };
  return {
    fieldErrors: errors,
    wellFormedMedia,
    value: {
      applicationId: applicationId as string,
      from: from as string,
      to,
      text: typeof text === 'string' ? text : undefined,
      media,
      tag: typeof tag === 'string' ? tag : undefined,
      priority: (priority as Priority | undefined | null) ?? 'default',
      expiration: typeof expiration === 'string' ? expiration : undefined,
      expiresAt,
    },
  };
}
