// Throughput limits (reference d.4): a per-account limit and a per-sending-number limit, in messages
// or segments per second. Each number gets its type's default unless the account overrides it; the
// bucket holds the rate plus Bandwidth's burst allowance. 0 means unlimited. The overrides are read
// from the directory at each use, so a rate changed through the admin API applies to the next claim.
import type { RateLimitsConfig } from '../../config/config.js';
import type { AccountThroughput } from '../accounts/directory-port.js';
import { numberKind } from '../phone/phone-number.js';
import type { RatePolicy } from '../ports.js';
import type { BucketLimit } from './token-bucket.js';

const TYPE_KEYS = {
  local: 'local',
  'toll-free': 'tollFree',
  'short-code': 'shortCode',
  alphanumeric: 'alphanumeric',
} as const;

export interface ThroughputPolicy extends RatePolicy {
  /** How many queued recipients an account may have before POST …/messages answers 429; undefined = no limit. */
  queueCapacity(accountId: string): number | undefined;
  /** The account's rate in messages per minute, for the 429 description. */
  accountRatePerMinute(accountId: string): number;
}

/** Where the per-account and per-number overrides come from: the live directory (accounts/directory.ts). */
export interface ThroughputOverrides {
  throughput(accountId: string): AccountThroughput | undefined;
  numberRate(number: string): number | undefined;
  hasOwnRates(): boolean;
}

export function throughputPolicy(config: RateLimitsConfig, overrides: ThroughputOverrides): ThroughputPolicy {
  const limit = (rate: number): BucketLimit | undefined =>
    rate > 0 ? { rate, burst: rate + config.burstExtra } : undefined;
  const accountRate = (accountId: string) => overrides.throughput(accountId)?.perSecond ?? config.account;
  // Any rate above 0 anywhere (a default, an account's, a number's) may limit someone.
  const defaults = config.account > 0 || Object.values(config.numberTypes).some((rate) => rate > 0);
  return {
    unit: config.unit,
    get limited() {
      return defaults || overrides.hasOwnRates();
    },
    senderLimit(accountId, from) {
      const override = overrides.numberRate(from) ?? overrides.throughput(accountId)?.numbers?.[from];
      return limit(override ?? config.numberTypes[TYPE_KEYS[numberKind(from)]]);
    },
    accountLimit: (accountId) => limit(accountRate(accountId)),
    queueCapacity(accountId) {
      const explicit = overrides.throughput(accountId)?.maxQueueSize;
      if (explicit !== undefined) return explicit > 0 ? explicit : undefined;
      const rate = accountRate(accountId);
      // Bandwidth sizes the account queue to 15 minutes of its dequeue rate.
      return rate > 0 && config.queueMinutes > 0 ? Math.ceil(rate * 60 * config.queueMinutes) : undefined;
    },
    accountRatePerMinute: (accountId) => Math.round(accountRate(accountId) * 60),
  };
}
