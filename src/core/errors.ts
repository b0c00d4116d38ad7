// The one catalogue of client-visible errors. Bodies follow Bandwidth's `MessagingRequestError` /
// `CreateMessageRequestError` shapes (reference section (d)); `type` values are stable and never reused.

export interface FieldError {
  fieldName: string;
  description: string;
}

export interface ErrorBody {
  type: string;
  description: string;
  fieldErrors?: FieldError[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    description: string,
    readonly fieldErrors?: FieldError[],
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(description);
    this.name = 'ApiError';
  }

  toBody(): ErrorBody {
    return this.fieldErrors
      ? { type: this.type, description: this.message, fieldErrors: this.fieldErrors }
      : { type: this.type, description: this.message };
  }
}

/**
 * Thrown by a store whose database stayed locked by another writer (another process, such as
 * `pigeon send`) past its busy timeout. Nothing was written; the same request can simply be retried.
 */
export class StoreBusyError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('the database is locked by another writer', options);
    this.name = 'StoreBusyError';
  }
}

/**
 * Thrown by a store whose database cannot be reached or does not accept work right now: it is
 * restarting, failing over, refusing connections, or out of connection slots. A write in flight may
 * or may not have committed (as when any response is lost); a request answered with this was not
 * acknowledged, and can be retried.
 */
export class StoreUnavailableError extends Error {
  /** Why, for readiness and the one log line per change: it cannot be reached, or it cannot store (full, read-only, failing disk). */
  readonly reason: StoreUnavailableReason;

  constructor(options?: { cause?: unknown; reason?: StoreUnavailableReason }) {
    super('the database is unavailable', options);
    this.name = 'StoreUnavailableError';
    this.reason = options?.reason ?? 'unreachable';
  }
}

export type StoreUnavailableReason = 'unreachable' | 'disk-full' | 'read-only' | 'io-error';

function serviceUnavailable(state: 'busy' | 'unavailable', retryAfterSeconds: number): ApiError {
  return new ApiError(
    503,
    'service-unavailable',
    `The service is temporarily ${state}. Wait for Retry-After time before sending the request again.`,
    undefined,
    { 'retry-after': String(retryAfterSeconds) },
  );
}

export const errors = {
  validation: (fieldErrors: FieldError[]) =>
    new ApiError(400, 'request-validation', 'Your request could not be accepted', fieldErrors),
  badRequest: (description: string) => new ApiError(400, 'request-validation', description),
  unauthorized: () =>
    new ApiError(401, 'unauthorized', 'Authentication Failed', undefined, { 'www-authenticate': 'Basic realm="pigeon"' }),
  forbidden: () => new ApiError(403, 'forbidden', 'Access Denied'),
  notFound: (description: string) => new ApiError(404, 'not-found', description),
  conflict: (description: string, fieldErrors?: FieldError[]) => new ApiError(409, 'conflict', description, fieldErrors),
  methodNotAllowed: (method: string, allowed: readonly string[]) =>
    new ApiError(405, 'method-not-allowed', `Method '${method}' not supported for this resource`, undefined, {
      allow: allowed.join(', '),
    }),
  misdirected: (host: string) =>
    new ApiError(
      421,
      'misdirected-request',
      `The demo answers only requests to localhost, 127.0.0.1, [::1] or the address it listens on, not to '${host}'. Give Pigeon a config file to serve other host names.`,
    ),
  payloadTooLarge: (limitBytes: number) =>
    new ApiError(413, 'request-entity-too-large', `Request body exceeds the limit of ${limitBytes} bytes`),
  mediaQuotaExceeded: (sizeBytes: number, quotaBytes: number) =>
    new ApiError(
      413,
      'media-quota-exceeded',
      `This file of ${sizeBytes} bytes does not fit within the account's media quota of ${quotaBytes} bytes. Delete media the account no longer needs, or wait until older files expire.`,
    ),
  unsupportedContentType: (contentType: string) =>
    new ApiError(
      415,
      'unsupported-content-type',
      `Content type '${contentType}' not supported. Please use 'application/json'`,
    ),
  rateLimited: (retryAfterSeconds: number) =>
    new ApiError(
      429,
      'rate_limit_exceeded',
      'Rate limit exceeded. Wait for Retry-After time before sending another request.',
      undefined,
      { 'retry-after': String(retryAfterSeconds) },
    ),
  queueFull: (ratePerMinute: number, capacity: number, minutes: number) =>
    new ApiError(
      429,
      'max-message-queue-size-exceeded',
      `The SMS queue for your account is full and cannot accept more messages right now. Your allowed rate is ${ratePerMinute} messages per minute. The capacity of this queue is ${capacity} messages (${minutes} minutes). Reduce your message sending rate, or contact support to increase your allowed rate.`,
    ),
  // A server-side condition, not the client's fault: 503 with Retry-After, as for a server that is overloaded.
  storeBusy: (retryAfterSeconds: number) => serviceUnavailable('busy', retryAfterSeconds),
  storeUnavailable: (retryAfterSeconds: number) => serviceUnavailable('unavailable', retryAfterSeconds),
  internal: () => new ApiError(500, 'internal-server-error', 'An internal error occurred'),
} as const;
