// A table of malformed and invalid requests. Every row pins the exact status and the Bandwidth error
// body (reference (d)), and for create-message 400s the full set of field errors (b.2), because SDK
// users branch on `type` and show `fieldErrors` to people. Nothing a client sends may produce a 500
// or leave the connection hanging.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_A, ACCOUNT_B, AUTH_A, RECIPIENT, RECIPIENT_2 } from '../helpers/fixtures.js';
import { BACKENDS, startPigeon, type TestPigeon } from '../helpers/pigeon.js';

const MESSAGES = `/api/v2/users/${ACCOUNT_A.id}/messages`;
const MEDIA = `/api/v2/users/${ACCOUNT_A.id}/media`;
const JSON_TYPE = 'application/json';
/** Generous, but far below the runner's patience: a hung connection must fail its row, not the file. */
const REQUEST_TIMEOUT_MS = 10_000;
const BODY_LIMIT = 1024 * 1024;
const MEDIA_LIMIT = 3_750_000;

const GOOD = {
  applicationId: ACCOUNT_A.applicationId,
  from: ACCOUNT_A.number,
  to: [RECIPIENT],
  text: 'hello from the bad-request table',
};

/** GOOD with some fields replaced; `undefined` drops a field because JSON.stringify omits it. */
function msg(overrides: Record<string, unknown>): Record<string, unknown> {
  return { ...GOOD, ...overrides };
}

const recipients = (n: number) => Array.from({ length: n }, (_, i) => `+1919555${String(1000 + i)}`);
const mediaUrls = (n: number) => Array.from({ length: n }, (_, i) => `https://cdn.example.test/${i}.png`);

interface ErrorBody {
  type?: unknown;
  description?: unknown;
  fieldErrors?: Array<{ fieldName?: unknown; description?: unknown }>;
}

interface Outcome {
  status: number;
  header(name: string): string | undefined;
  text: string;
  elapsedMs: number;
}

interface BadCase {
  name: string;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  /** Defaults to the create-message path of account A. */
  path?: string;
  /** Serialised with JSON.stringify and sent as application/json. */
  json?: unknown;
  /** Sent verbatim; a thunk keeps multi-megabyte bodies out of memory until their row runs. */
  body?: string | Buffer | (() => string | Buffer);
  /** Content-Type for `body`; null sends none at all. */
  contentType?: string | null;
  headers?: Record<string, string>;
  /** node:http instead of fetch: the path goes out byte for byte (no dot-segment normalisation), chunked if asked. */
  raw?: boolean;
  chunked?: boolean;
  status: number;
  type: string;
  /** Substring of the top-level description. */
  description?: string;
  /** [fieldName, description substring]; the server must report exactly these, all at once. */
  fieldErrors?: Array<[string, string]>;
  allow?: string;
  check?: (body: ErrorBody) => void;
}

const MEDIA_ID_RULE = 'mediaId must be 1 to 1024 bytes';

const CASES: BadCase[] = [
  // --- the body as a whole ---
  { name: 'malformed JSON', body: '{"text": hi}', status: 400, type: 'request-validation', description: 'not valid JSON' },
  {
    name: 'truncated JSON',
    body: JSON.stringify(GOOD).slice(0, 40),
    status: 400,
    type: 'request-validation',
    description: 'not valid JSON',
  },
  // Reference b.2: a body that is not an object gets a top-level description only, no fieldErrors.
  { name: 'body is an array', json: [GOOD], status: 400, type: 'request-validation', description: 'JSON object' },
  { name: 'body is a string', json: 'hello', status: 400, type: 'request-validation', description: 'JSON object' },
  { name: 'body is a number', json: 42, status: 400, type: 'request-validation', description: 'JSON object' },
  { name: 'body is null', json: null, status: 400, type: 'request-validation', description: 'JSON object' },
  {
    name: 'empty body with content-type json',
    body: '',
    status: 400,
    type: 'request-validation',
    description: 'empty',
  },
  {
    name: 'invalid UTF-8 bytes',
    body: () => Buffer.concat([Buffer.from('{"text":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
    status: 400,
    type: 'request-validation',
    description: 'UTF-8',
  },
  {
    name: 'content-type text/plain',
    body: JSON.stringify(GOOD),
    contentType: 'text/plain',
    status: 415,
    type: 'unsupported-content-type',
    description: "Content type 'text/plain' not supported. Please use 'application/json'",
  },
  {
    name: 'content-type text/plain;charset=UTF-8 (what Spring echoes in the reference example)',
    body: JSON.stringify(GOOD),
    contentType: 'text/plain;charset=UTF-8',
    status: 415,
    type: 'unsupported-content-type',
    description: 'not supported',
  },
  {
    name: 'content-type form-urlencoded',
    body: 'to=%2B19195550199&text=hi',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
    type: 'unsupported-content-type',
    description: "Content type 'application/x-www-form-urlencoded' not supported",
  },
  {
    name: 'no content-type with a body',
    body: () => Buffer.from(JSON.stringify(GOOD)),
    contentType: null,
    status: 415,
    type: 'unsupported-content-type',
    description: 'not supported',
  },
  {
    name: 'body one byte over the 1 MiB limit (Content-Length)',
    body: () => Buffer.alloc(BODY_LIMIT + 1, 0x20),
    status: 413,
    type: 'request-entity-too-large',
    description: String(BODY_LIMIT),
  },
  {
    name: 'body over the 1 MiB limit, chunked without Content-Length',
    body: () => Buffer.alloc(BODY_LIMIT + 64 * 1024, 0x20),
    raw: true,
    chunked: true,
    status: 413,
    type: 'request-entity-too-large',
  },
  {
    name: 'prototype-looking keys are plain data, not a way round validation',
    body: '{"__proto__":{"text":"x","to":["+19195550199"]},"constructor":{"prototype":{"text":"y"}}}',
    status: 400,
    type: 'request-validation',
    fieldErrors: [
      ['applicationId', "'applicationId' is required"],
      ['from', "'from' must contain exactly one telephone number"],
      ['to', "'to' must contain at least one telephone number"],
      ['text', "'text' is required unless media is included"],
    ],
  },

  // --- text ---
  {
    name: 'text of 2049 characters',
    json: msg({ text: 'x'.repeat(2049) }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['text', '2048 characters or less']],
  },
  {
    name: 'text of 2049 code points written with surrogate pairs',
    json: msg({ text: '😀'.repeat(2049) }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['text', '2048 characters or less']],
  },
  {
    name: 'text is a number',
    json: msg({ text: 42 }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['text', "'text' must be a string"]],
  },
  {
    name: 'text is an object',
    json: msg({ text: { body: 'hi' } }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['text', "'text' must be a string"]],
  },
  {
    name: 'neither text nor media',
    json: msg({ text: undefined }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['text', "'text' is required unless media is included"]],
  },
  {
    name: 'empty text and empty media array',
    json: msg({ text: '', media: [] }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['text', "'text' is required unless media is included"]],
  },

  // --- media ---
  {
    name: 'media is a string, not an array',
    json: msg({ media: 'https://cdn.example.test/a.png' }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['media', "'media' must be an array of URLs"]],
  },
  {
    name: 'media entry is not a string',
    json: msg({ media: [42] }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['media', "'media' entries must be strings"]],
  },
  {
    name: 'media entry is an ftp URL',
    json: msg({ media: ['ftp://cdn.example.test/a.png'] }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['media', "'ftp://cdn.example.test/a.png' is not a valid http(s) URL"]],
  },
  {
    name: 'media entry is not a URL at all',
    json: msg({ media: ['cat.png'] }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['media', "'cat.png' is not a valid http(s) URL"]],
  },
  {
    name: 'media URL of 4097 characters',
    json: msg({ media: [`https://cdn.example.test/${'a'.repeat(4097 - 25)}`] }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['media', 'at most 4096 characters']],
  },
  {
    name: '11 media URLs',
    json: msg({ media: mediaUrls(11) }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['media', 'at most 10 URLs']],
  },
  {
    name: 'three bad media entries are each reported',
    json: msg({ media: [7, 'ftp://x.test/a', `https://x.test/${'b'.repeat(4100)}`] }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [
      ['media', "'media' entries must be strings"],
      ['media', "'ftp://x.test/a' is not a valid http(s) URL"],
      ['media', 'at most 4096 characters'],
    ],
  },

  // --- applicationId ---
  {
    name: 'applicationId missing',
    json: msg({ applicationId: undefined }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['applicationId', "'applicationId' is required"]],
  },
  {
    name: 'applicationId is a number',
    json: msg({ applicationId: 12345 }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['applicationId', "'applicationId' must be a string"]],
  },
  {
    name: 'applicationId unknown',
    json: msg({ applicationId: '00000000-0000-4000-8000-000000000000' }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['applicationId', `is not an application of account ${ACCOUNT_A.id}`]],
  },
  {
    name: "applicationId of account B (reported like an unknown one: B's existence must not leak)",
    json: msg({ applicationId: ACCOUNT_B.applicationId }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['applicationId', `'${ACCOUNT_B.applicationId}' is not an application of account ${ACCOUNT_A.id}`]],
    check: (body) => {
      const text = JSON.stringify(body);
      assert.ok(!text.includes(ACCOUNT_B.id), 'the body names account B');
      assert.ok(!text.includes(ACCOUNT_B.number), "the body names B's number");
      assert.ok(!text.includes('Other'), "the body names B's application");
    },
  },
  {
    name: "account A's other application, whose numbers do not include from",
    json: msg({ applicationId: ACCOUNT_A.otherApplicationId }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['from', `'${ACCOUNT_A.number}' is not a number of application ${ACCOUNT_A.otherApplicationId}`]],
  },

  // --- from ---
  {
    name: 'from missing',
    json: msg({ from: undefined }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['from', "'from' must contain exactly one telephone number"]],
  },
  {
    name: 'from empty',
    json: msg({ from: '' }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['from', "'from' must contain exactly one telephone number"]],
  },
  {
    name: 'from is an array',
    json: msg({ from: [ACCOUNT_A.number, ACCOUNT_A.secondNumber] }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['from', "'from' must contain exactly one telephone number"]],
  },
  {
    name: 'from is a number',
    json: msg({ from: 19195551212 }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['from', "'from' must be a string"]],
  },
  {
    // '+1invalid' also fits the alphanumeric sender-id syntax (b.1), so only the value is pinned.
    name: "from '+1invalid'",
    json: msg({ from: '+1invalid' }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['from', "'+1invalid'"]],
  },
  {
    name: "from '19195551212' (no plus)",
    json: msg({ from: '19195551212' }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['from', "'19195551212' must be replaced with a valid E164 formatted telephone number"]],
  },
  {
    name: "from '+0123' (leading zero)",
    json: msg({ from: '+0123' }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['from', "'+0123' must be replaced with a valid E164 formatted telephone number"]],
  },
  {
    name: 'from is valid E.164 but not owned by the application',
    json: msg({ from: '+19195550000' }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['from', `'+19195550000' is not a number of application ${ACCOUNT_A.applicationId}`]],
  },
  {
    name: "from is account B's number",
    json: msg({ from: ACCOUNT_B.number }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['from', `'${ACCOUNT_B.number}' is not a number of application ${ACCOUNT_A.applicationId}`]],
  },

  // --- to ---
  {
    name: 'to missing',
    json: msg({ to: undefined }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['to', "'to' must contain at least one telephone number"]],
  },
  {
    name: 'to empty string',
    json: msg({ to: '' }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['to', "'to' must contain at least one telephone number"]],
  },
  {
    name: 'to empty array',
    json: msg({ to: [] }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['to', "'to' must contain at least one telephone number"]],
  },
  {
    name: "to '+1invalid' as a bare string",
    json: msg({ to: '+1invalid' }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['to', "'+1invalid' must be replaced with a valid E164 formatted telephone number"]],
  },
  {
    name: 'to array with one bad entry among good ones',
    json: msg({ to: [RECIPIENT, '919-555-0198', RECIPIENT_2] }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['to', "'919-555-0198' must be replaced with a valid E164 formatted telephone number"]],
  },
  {
    name: 'to array with two bad entries reports both',
    json: msg({ to: ['+1invalid', RECIPIENT, '+0123'] }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [
      ['to', "'+1invalid' must be replaced"],
      ['to', "'+0123' must be replaced"],
    ],
  },
  {
    name: 'to is a number',
    json: msg({ to: 19195550199 }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['to', "'to' must be a telephone number or an array of telephone numbers"]],
  },
  {
    name: 'to array entry is a number',
    json: msg({ to: [19195550199] }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['to', "'to' entries must be strings"]],
  },
  {
    name: 'to has 11 distinct recipients',
    json: msg({ to: recipients(11) }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['to', "'to' must contain at most 10 telephone numbers"]],
  },
  {
    name: 'to is an object',
    json: msg({ to: { number: RECIPIENT } }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['to', "'to' must be a telephone number or an array of telephone numbers"]],
  },

  // --- tag, priority, expiration ---
  {
    name: 'tag of 1025 characters',
    json: msg({ tag: 't'.repeat(1025) }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['tag', "'tag' must be 1024 characters or less"]],
  },
  {
    name: 'tag is not a string',
    json: msg({ tag: { order: 1234 } }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['tag', "'tag' must be a string"]],
  },
  {
    name: "priority 'urgent'",
    json: msg({ priority: 'urgent' }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['priority', "'priority' must be one of 'default' or 'high'"]],
  },
  {
    name: 'priority 1',
    json: msg({ priority: 1 }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['priority', "'priority' must be one of 'default' or 'high'"]],
  },
  {
    name: "priority 'HIGH' (enum values are case-sensitive)",
    json: msg({ priority: 'HIGH' }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['priority', "'priority' must be one of"]],
  },
  {
    name: 'expiration in the past',
    json: msg({ expiration: '2020-01-01T00:00:00Z' }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['expiration', "'expiration' must be in the future"]],
  },
  {
    name: 'expiration not a date',
    json: msg({ expiration: 'next tuesday' }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['expiration', 'RFC 3339 date-time']],
  },
  {
    name: 'expiration with month 13',
    json: msg({ expiration: '2031-13-01T00:00:00Z' }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['expiration', 'RFC 3339 date-time']],
  },
  // JS Date rolls impossible days over (Feb 31 → Mar 3); each must be refused, not shifted.
  ...(
    [
      ['February 30', '2031-02-30T00:00:00Z'],
      ['February 31', '2031-02-31T00:00:00Z'],
      ['April 31', '2031-04-31T12:00:00+02:00'],
      ['February 29 of a non-leap year', '2031-02-29T00:00:00Z'],
    ] as const
  ).map(
    ([day, expiration]): BadCase => ({
      name: `expiration on ${day} (${expiration})`,
      json: msg({ expiration }),
      status: 400,
      type: 'request-validation',
      fieldErrors: [['expiration', 'RFC 3339 date-time']],
    }),
  ),
  {
    name: 'expiration without a time zone',
    json: msg({ expiration: '2031-03-14T01:59:26' }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['expiration', 'RFC 3339 date-time']],
  },
  {
    name: 'expiration is a number',
    json: msg({ expiration: 1931000000000 }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [['expiration', 'RFC 3339 date-time']],
  },

  // --- several bad fields at once: all are reported in one answer (b.2) ---
  {
    name: 'two bad fields: bad to and no text (the reference example)',
    json: msg({ to: ['+1invalid'], text: undefined }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [
      ['to', "'+1invalid' must be replaced with a valid E164 formatted telephone number"],
      ['text', "'text' is required unless media is included"],
    ],
  },
  {
    name: 'three bad fields: applicationId, from, priority',
    json: msg({ applicationId: undefined, from: '+0123', priority: 'urgent' }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [
      ['applicationId', "'applicationId' is required"],
      ['from', "'+0123' must be replaced"],
      ['priority', "'priority' must be one of"],
    ],
  },
  {
    name: 'three bad fields: tag, expiration, media',
    json: msg({ tag: 9, expiration: '2020-01-01T00:00:00Z', media: ['mailto:someone@example.test'] }),
    status: 400,
    type: 'request-validation',
    fieldErrors: [
      ['tag', "'tag' must be a string"],
      ['expiration', "'expiration' must be in the future"],
      ['media', 'is not a valid http(s) URL'],
    ],
  },
  {
    name: 'every field bad at once',
    json: {
      applicationId: 7,
      from: [],
      to: {},
      text: 'x'.repeat(2049),
      media: 'nope',
      tag: [],
      priority: 'low',
      expiration: 'soon',
    },
    status: 400,
    type: 'request-validation',
    fieldErrors: [
      ['applicationId', 'must be a string'],
      ['from', 'exactly one telephone number'],
      ['to', 'must be a telephone number or an array'],
      ['media', 'must be an array of URLs'],
      ['text', '2048 characters or less'],
      ['tag', 'must be a string'],
      ['priority', 'must be one of'],
      ['expiration', 'RFC 3339'],
    ],
  },

  // --- routing ---
  {
    name: 'unknown path under a message',
    method: 'GET',
    path: `${MESSAGES}/bogus`,
    status: 404,
    type: 'not-found',
    description: `${MESSAGES}/bogus`,
  },
  { name: 'unknown API version', method: 'GET', path: '/api/v3/users', status: 404, type: 'not-found' },
  {
    name: 'PUT on /messages',
    method: 'PUT',
    json: GOOD,
    status: 405,
    type: 'method-not-allowed',
    description: "Method 'PUT' not supported",
    allow: 'GET, POST',
  },
  {
    name: 'DELETE on /messages',
    method: 'DELETE',
    status: 405,
    type: 'method-not-allowed',
    allow: 'GET, POST',
  },
  {
    name: 'POST on /media',
    method: 'POST',
    path: MEDIA,
    body: 'x',
    contentType: 'text/plain',
    status: 405,
    type: 'method-not-allowed',
    description: "Method 'POST' not supported",
    allow: 'GET',
  },
  {
    name: 'PATCH on /media/{id}',
    method: 'PATCH',
    path: `${MEDIA}/a.png`,
    status: 405,
    type: 'method-not-allowed',
    allow: 'GET, PUT, DELETE',
  },
  {
    // Router failures happen before any handler; they must still answer in the error shape.
    name: 'accountId longer than the router accepts',
    method: 'GET',
    path: `/api/v2/users/${'9'.repeat(3000)}/messages`,
    status: 414,
    type: 'request-validation',
  },

  // --- list filters (i.1) ---
  ...(
    [
      ['messageStatus=BOGUS', 'messageStatus'],
      ['messageStatus=delivered', 'messageStatus'],
      ['messageDirection=SIDEWAYS', 'messageDirection'],
      ['messageType=fax', 'messageType'],
      ['limit=0', 'limit'],
      ['limit=10001', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=-5', 'limit'],
      ['fromDateTime=yesterday', 'fromDateTime'],
      ['toDateTime=2031-02-30T25:00:00Z', 'toDateTime'],
      ['fromDateTime=2031-02-30T00:00:00Z', 'fromDateTime'],
      ['fromDateTime=2031-02-31T00:00:00Z', 'fromDateTime'],
      ['toDateTime=2031-04-31T00:00:00Z', 'toDateTime'],
      ['toDateTime=2031-02-29T00:00:00Z', 'toDateTime'],
      ['fromDateTime=2031-01-02T00:00:00Z&toDateTime=2031-01-01T00:00:00Z', 'fromDateTime'],
      ['sort=bogus:asc', 'sort'],
      ['sort=sourceTn:sideways', 'sort'],
      ['sort=sourceTn:asc:extra', 'sort'],
      ['pageToken=garbage', 'pageToken'],
      ['sourceTn=12', 'sourceTn'],
      ['destinationTn=%2B1919555019x', 'destinationTn'],
      ['errorCode=abc', 'errorCode'],
      ['bwQueued=maybe', 'bwQueued'],
      ['product=FAX', 'product'],
      ['limit=1&limit=2', 'limit'],
    ] as const
  ).map(
    ([query, param]): BadCase => ({
      name: `list with ${query}`,
      method: 'GET',
      path: `${MESSAGES}?${query}`,
      status: 400,
      type: 'request-validation',
      description: `'${param}'`,
    }),
  ),

  // --- media (j) ---
  {
    name: 'media upload one byte over the 3 750 000-byte limit',
    method: 'PUT',
    path: `${MEDIA}/too-big.bin`,
    body: () => Buffer.alloc(MEDIA_LIMIT + 1, 0x61),
    contentType: 'application/octet-stream',
    status: 413,
    type: 'request-entity-too-large',
    description: String(MEDIA_LIMIT),
  },
  {
    name: 'GET of missing media',
    method: 'GET',
    path: `${MEDIA}/never-uploaded.png`,
    status: 404,
    type: 'not-found',
    description: 'never-uploaded.png',
  },
  {
    name: 'DELETE of missing media',
    method: 'DELETE',
    path: `${MEDIA}/never-uploaded.png`,
    status: 404,
    type: 'not-found',
  },
  {
    name: "media id with an encoded '..' segment",
    method: 'GET',
    path: `${MEDIA}/a%2F..%2Fsecret`,
    status: 400,
    type: 'request-validation',
    description: MEDIA_ID_RULE,
  },
  {
    name: "media id with a literal '..' segment (not normalised away by the client)",
    method: 'PUT',
    path: `${MEDIA}/a/../secret`,
    body: 'x',
    contentType: 'text/plain',
    raw: true,
    status: 400,
    type: 'request-validation',
    description: MEDIA_ID_RULE,
  },
  {
    name: 'media id with an empty segment',
    method: 'PUT',
    path: `${MEDIA}/a//b`,
    body: 'x',
    contentType: 'text/plain',
    raw: true,
    status: 400,
    type: 'request-validation',
    description: MEDIA_ID_RULE,
  },
  {
    name: 'media id that is empty',
    method: 'GET',
    path: `${MEDIA}/`,
    status: 400,
    type: 'request-validation',
    description: MEDIA_ID_RULE,
  },
  {
    name: 'media id with a NUL byte',
    method: 'GET',
    path: `${MEDIA}/a%00b`,
    status: 400,
    type: 'request-validation',
    description: MEDIA_ID_RULE,
  },
  {
    name: 'media id over 1024 bytes',
    method: 'GET',
    path: `${MEDIA}/${'m'.repeat(1025)}`,
    status: 400,
    type: 'request-validation',
    description: MEDIA_ID_RULE,
  },
  {
    name: 'media id with bad percent-encoding',
    method: 'GET',
    path: `${MEDIA}/%E0%A4%A`,
    status: 400,
    type: 'request-validation',
  },
  {
    name: 'media list with an invalid Continuation-Token',
    method: 'GET',
    path: MEDIA,
    headers: { 'continuation-token': 'garbage' },
    status: 400,
    type: 'request-validation',
    description: 'Continuation-Token',
  },
  {
    name: 'media list with a Continuation-Token that is not base64 at all',
    method: 'GET',
    path: MEDIA,
    headers: { 'continuation-token': '!!!' },
    status: 400,
    type: 'request-validation',
    description: 'Continuation-Token',
  },
];

function requestBody(c: BadCase): { payload: string | Buffer | undefined; contentType: string | undefined } {
  if (c.json !== undefined) return { payload: JSON.stringify(c.json), contentType: c.contentType ?? JSON_TYPE };
  if (c.body === undefined) return { payload: undefined, contentType: undefined };
  const payload = typeof c.body === 'function' ? c.body() : c.body;
  return { payload, contentType: c.contentType === null ? undefined : (c.contentType ?? JSON_TYPE) };
}

async function viaFetch(
  pigeon: TestPigeon,
  method: string,
  path: string,
  headers: Record<string, string>,
  payload: string | Buffer | undefined,
): Promise<Outcome> {
  const started = Date.now();
  const res = await pigeon.fetch(path, {
    method,
    headers,
    // A Buffer keeps fetch from inventing a text/plain content type.
    body: payload === undefined ? undefined : typeof payload === 'string' ? Buffer.from(payload) : payload,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  return { status: res.status, header: (n) => res.headers.get(n) ?? undefined, text, elapsedMs: Date.now() - started };
}

function viaHttp(
  pigeon: TestPigeon,
  method: string,
  path: string,
  headers: Record<string, string>,
  payload: string | Buffer | undefined,
  chunked: boolean,
): Promise<Outcome> {
  const started = Date.now();
  const url = new URL(pigeon.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        agent: false,
        timeout: REQUEST_TIMEOUT_MS,
        headers: chunked ? { ...headers, 'transfer-encoding': 'chunked' } : headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const value = (n: string) => {
            const v = res.headers[n.toLowerCase()];
            return Array.isArray(v) ? v.join(', ') : v;
          };
          resolve({
            status: res.statusCode ?? 0,
            header: value,
            text: Buffer.concat(chunks).toString('utf8'),
            elapsedMs: Date.now() - started,
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    // A server that answers 413 early may close while the rest of the body is still being written.
    req.on('error', reject);
    if (payload !== undefined) {
      const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
      for (let at = 0; at < bytes.length; at += 64 * 1024) req.write(bytes.subarray(at, at + 64 * 1024));
    }
    req.end();
  });
}

async function run(pigeon: TestPigeon, c: BadCase): Promise<Outcome> {
  const { payload, contentType } = requestBody(c);
  const headers: Record<string, string> = { authorization: AUTH_A, ...c.headers };
  if (contentType !== undefined) headers['content-type'] = contentType;
  const method = c.method ?? 'POST';
  const path = c.path ?? MESSAGES;
  if (!c.raw) return viaFetch(pigeon, method, path, headers, payload);
  if (payload !== undefined && !c.chunked) {
    headers['content-length'] = String(typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length);
  }
  return viaHttp(pigeon, method, path, headers, payload, c.chunked ?? false);
}

function assertFieldErrors(actual: ErrorBody['fieldErrors'], expected: Array<[string, string]>): void {
  assert.ok(Array.isArray(actual), `fieldErrors missing: ${JSON.stringify(actual)}`);
  for (const e of actual) {
    assert.deepEqual(Object.keys(e).sort(), ['description', 'fieldName'], `unexpected field error shape ${JSON.stringify(e)}`);
    assert.equal(typeof e.fieldName, 'string');
    assert.equal(typeof e.description, 'string');
  }
  assert.deepEqual(
    actual.map((e) => String(e.fieldName)).sort(),
    expected.map(([field]) => field).sort(),
    `reported fields differ: ${JSON.stringify(actual)}`,
  );
  for (const [field, fragment] of expected) {
    assert.ok(
      actual.some((e) => e.fieldName === field && String(e.description).includes(fragment)),
      `no ${field} error containing ${JSON.stringify(fragment)} in ${JSON.stringify(actual)}`,
    );
  }
}

/** Asserts the status and returns the parsed body, so a failure shows what the server said. */
async function expectStatus(res: Response, status: number): Promise<unknown> {
  const text = await res.text();
  assert.equal(res.status, status, text.slice(0, 500));
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

async function postJson(pigeon: TestPigeon, body: unknown): Promise<Response> {
  return pigeon.fetch(MESSAGES, {
    method: 'POST',
    headers: { authorization: AUTH_A, 'content-type': JSON_TYPE },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
}

for (const backend of BACKENDS) {
  describe(`bad requests (${backend})`, () => {
    let pigeon: TestPigeon;
    before(async () => {
      // HTTP only: the accepted messages stay QUEUED, so the list checks below do not race the delivery workers.
      pigeon = await startPigeon({ backend, env: { PIGEON_ROLE: 'api' } });
    });
    after(() => pigeon.close());

    it(`has a table of at least 50 cases (${CASES.length})`, () => {
      assert.ok(CASES.length >= 50);
      assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length, 'case names must be unique');
    });

    for (const c of CASES) {
      it(`${c.name} → ${c.status} ${c.type}`, async () => {
        const res = await run(pigeon, c);
        assert.ok(res.status < 500, `server fault ${res.status}: ${res.text.slice(0, 500)}`);
        assert.ok(res.elapsedMs < REQUEST_TIMEOUT_MS, `took ${res.elapsedMs} ms`);
        assert.equal(res.status, c.status, `status; body: ${res.text.slice(0, 500)}`);
        assert.match(res.header('content-type') ?? '', /^application\/json\b/, 'error bodies are JSON');
        let body: ErrorBody;
        try {
          body = JSON.parse(res.text) as ErrorBody;
        } catch {
          assert.fail(`body is not JSON: ${res.text.slice(0, 200)}`);
        }
        assert.equal(body.type, c.type, `type; body: ${res.text.slice(0, 500)}`);
        assert.equal(typeof body.description, 'string', 'description');
        assert.ok(String(body.description).length > 0, 'description is empty');
        if (c.description !== undefined) {
          assert.ok(
            String(body.description).includes(c.description),
            `description ${JSON.stringify(body.description)} lacks ${JSON.stringify(c.description)}`,
          );
        }
        if (c.fieldErrors) {
          assert.equal(body.description, 'Your request could not be accepted');
          assertFieldErrors(body.fieldErrors, c.fieldErrors);
        } else {
          // fieldErrors belong only to field-level 400s on create (reference d.3).
          assert.ok(!('fieldErrors' in body), `unexpected fieldErrors: ${JSON.stringify(body.fieldErrors)}`);
        }
        if (c.allow !== undefined) assert.equal(res.header('allow'), c.allow);
        c.check?.(body);
      });
    }

    // Positive controls: the same requests with the bad part fixed are accepted, so the table
    // cannot pass merely because everything is refused.
    describe('positive controls', () => {
      it('the base request is accepted', async () => {
        const res = await postJson(pigeon, GOOD);
        await expectStatus(res, 202);
      });

      it('text of exactly 2048 characters is accepted', async () => {
        const res = await postJson(pigeon, msg({ text: 'x'.repeat(2048) }));
        const body = (await expectStatus(res, 202)) as { text?: string };
        assert.equal(body.text?.length, 2048);
      });

      it('2048 emoji (4096 UTF-16 units) count as 2048 characters', async () => {
        const res = await postJson(pigeon, msg({ text: '😀'.repeat(2048) }));
        await expectStatus(res, 202);
      });

      it('the every-field-bad request fixed field by field is accepted', async () => {
        const res = await postJson(pigeon, {
          applicationId: ACCOUNT_A.applicationId,
          from: ACCOUNT_A.secondNumber,
          to: recipients(10),
          text: 'x'.repeat(100),
          media: mediaUrls(10),
          tag: 't'.repeat(1024),
          priority: 'high',
          expiration: '2099-03-14T01:59:26-05:00',
        });
        await expectStatus(res, 202);
      });

      it('February 29 of a leap year is a valid expiration and list filter', async () => {
        const sent = await postJson(pigeon, msg({ expiration: '2032-02-29T23:59:59Z' }));
        const body = (await expectStatus(sent, 202)) as { expiration?: string };
        assert.equal(body.expiration, '2032-02-29T23:59:59Z');
        const query = 'fromDateTime=2032-02-29T00:00:00Z&toDateTime=2032-02-29T23:59:59.999-05:00';
        const list = await pigeon.fetch(`${MESSAGES}?${query}`, { headers: { authorization: AUTH_A } });
        const page = (await expectStatus(list, 200)) as { totalCount: number };
        assert.equal(page.totalCount, 0);
      });

      it('media alone (no text) and a bare-string to are accepted', async () => {
        const res = await postJson(pigeon, msg({ text: undefined, to: RECIPIENT, media: [`https://x.test/${'a'.repeat(4000)}`] }));
        const body = (await expectStatus(res, 202)) as { to?: unknown };
        assert.deepEqual(body.to, [RECIPIENT]);
      });

      it("account A's other application with its own number is accepted", async () => {
        const res = await postJson(pigeon, msg({ applicationId: ACCOUNT_A.otherApplicationId, from: ACCOUNT_A.tollFreeNumber }));
        await expectStatus(res, 202);
      });

      it('eleven to entries that de-duplicate to ten are accepted', async () => {
        const to = recipients(10);
        const res = await postJson(pigeon, msg({ to: [...to, to[0]] }));
        await expectStatus(res, 202);
      });

      it('application/json with a charset is accepted', async () => {
        const res = await pigeon.fetch(MESSAGES, {
          method: 'POST',
          headers: { authorization: AUTH_A, 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify(GOOD),
        });
        await expectStatus(res, 202);
      });

      it('list filters at their limits are accepted', async () => {
        const query = new URLSearchParams({
          messageStatus: 'QUEUED',
          messageDirection: 'OUTBOUND',
          messageType: 'sms',
          limit: '10000',
          fromDateTime: '2020-01-01T00:00:00Z',
          toDateTime: '2099-01-01T00:00:00.000+00:00',
          sort: 'sourceTn:desc',
          sourceTn: '+1919',
          errorCode: '0',
          bwQueued: 'true',
        });
        const res = await pigeon.fetch(`${MESSAGES}?${query.toString()}`, { headers: { authorization: AUTH_A } });
        const page = (await expectStatus(res, 200)) as { totalCount: number };
        assert.ok(page.totalCount > 0, 'the accepted messages above are listed');
      });

      it('a page token issued by the server is accepted for the same query', async () => {
        const first = await pigeon.fetch(`${MESSAGES}?limit=1`, { headers: { authorization: AUTH_A } });
        const page = (await first.json()) as { pageInfo: { nextPageToken?: string } };
        assert.ok(page.pageInfo.nextPageToken, 'more than one message exists, so a next page exists');
        const next = await pigeon.fetch(`${MESSAGES}?limit=1&pageToken=${page.pageInfo.nextPageToken}`, {
          headers: { authorization: AUTH_A },
        });
        await expectStatus(next, 200);
        const other = await pigeon.fetch(`${MESSAGES}?limit=1&messageType=mms&pageToken=${page.pageInfo.nextPageToken}`, {
          headers: { authorization: AUTH_A },
        });
        assert.equal(other.status, 400, 'a token is bound to the filters it was issued for');
      });

      it('media of exactly 3 750 000 bytes is stored, and a name with slashes round-trips', async () => {
        const put = await pigeon.fetch(`${MEDIA}/at-limit%2Fdir%2Ffile.bin`, {
          method: 'PUT',
          headers: { authorization: AUTH_A, 'content-type': 'application/octet-stream' },
          body: Buffer.alloc(MEDIA_LIMIT, 0x62),
        });
        await expectStatus(put, 204);
        const get = await pigeon.fetch(`${MEDIA}/at-limit/dir/file.bin`, { headers: { authorization: AUTH_A } });
        assert.equal(get.status, 200);
        assert.equal((await get.arrayBuffer()).byteLength, MEDIA_LIMIT);
        const list = await pigeon.fetch(MEDIA, { headers: { authorization: AUTH_A } });
        assert.equal(list.status, 200);
        const items = (await list.json()) as Array<{ mediaName: string }>;
        assert.ok(items.some((m) => m.mediaName === 'at-limit/dir/file.bin'));
        const del = await pigeon.fetch(`${MEDIA}/at-limit/dir/file.bin`, { method: 'DELETE', headers: { authorization: AUTH_A } });
        assert.equal(del.status, 204);
      });

      it('the server still answers after the oversized and malformed rows', async () => {
        const res = await pigeon.fetch('/healthz', { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        assert.equal(res.status, 200);
      });
    });
  });
}
