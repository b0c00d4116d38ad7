// The `bandwidth` carrier type (issue 26): an upstream messaging provider that speaks Bandwidth's
// Messaging API v2 (Bandwidth itself, or another Pigeon). Everything but the account, the
// application, the credentials and the credentials Pigeon requires on the upstream's event callbacks
// has a default; README "Upstream providers as carriers" lists the keys.
import { z } from 'zod';

const httpUrl = z.string().refine((v) => /^https?:\/\//i.test(v) && URL.canParse(v), { message: 'must be an http(s) URL' });
const e164 = z.string().regex(/^\+[1-9]\d{1,14}$/, { message: 'must be an E.164 number such as +19195551212' });

export const BANDWIDTH_PRODUCTION_URL = 'https://messaging.bandwidth.com/api/v2';
export const BANDWIDTH_TOKEN_URL = 'https://id.bandwidth.com/api/v1/oauth2/token';

export const bandwidthCarrierSchema = z
  .strictObject({
    name: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, { message: 'must contain only letters, digits, _ . and -' }),
    type: z.literal('bandwidth'),
    /** The messaging API's root, without a trailing slash (Bandwidth's production URL by default). */
    baseUrl: httpUrl.default(BANDWIDTH_PRODUCTION_URL).transform((v) => v.replace(/\/+$/, '')),
    accountId: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, { message: 'must contain only letters, digits, _ . and -' }),
    /** The upstream application messages are sent with; its callback URL points back at Pigeon. */
    applicationId: z.string().min(1).max(64),
    /** Basic credentials of an upstream API user … */
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /** … or OAuth2 client credentials, exchanged at `tokenUrl` for bearer tokens (refreshed before they expire). */
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    tokenUrl: httpUrl.default(BANDWIDTH_TOKEN_URL),
    /** Local sending number → the upstream number it sends as (and receives on); unlisted numbers are the same upstream. */
    numbers: z.record(e164, e164).default({}),
    /** Upstream requests in flight at once. */
    concurrency: z.int().min(1).max(1000).default(10),
    timeoutSeconds: z.number().min(0.05).max(300).default(10),
    /** Upstream requests per second (every request of this carrier); 0: no limit but `concurrency`. */
    requestsPerSecond: z.number().min(0).default(0),
    /** Basic credentials the upstream application sends with its event callbacks (set the same on its callback settings). */
    callbackUsername: z.string().min(1),
    callbackPassword: z.string().min(8),
    /** After a connection error or 5xx, how long routes treat the carrier as down (its fallbacks carry meanwhile). */
    downSeconds: z.number().min(0.01).default(5),
  })
  .superRefine((c, ctx) => {
    const basic = c.username !== undefined || c.password !== undefined;
    const oauth = c.clientId !== undefined || c.clientSecret !== undefined;
    if (basic && oauth) ctx.addIssue({ code: 'custom', path: ['clientId'], message: 'give username/password or clientId/clientSecret, not both' });
    else if (!basic && !oauth) ctx.addIssue({ code: 'custom', path: ['username'], message: 'is required (with password), or clientId with clientSecret' });
    else if (basic && (c.username === undefined || c.password === undefined)) {
      ctx.addIssue({ code: 'custom', path: [c.username === undefined ? 'username' : 'password'], message: 'username and password go together' });
    } else if (oauth && (c.clientId === undefined || c.clientSecret === undefined)) {
      ctx.addIssue({ code: 'custom', path: [c.clientId === undefined ? 'clientId' : 'clientSecret'], message: 'clientId and clientSecret go together' });
    }
  });

export type BandwidthCarrierConfig = z.output<typeof bandwidthCarrierSchema>;
