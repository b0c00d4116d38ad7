// Throughput limits (reference d.4): a per-account limit and a per-sending-number limit, in messages
// or segments per second. Each number gets its type's default unless the account overrides it; the
// bucket holds the rate plus Bandwidth's burst allowance. 0 means unlimited.
import type { RateLimitsConfig } from '../../config/config.js';
import type { AccountConfig } from '../../config/schema.js';
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

export function throughputPolicy(config: RateLimitsConfig, accounts: readonly AccountConfig[]): ThroughputPolicy {
  const byId = new Map(accounts.map((a) => [a.id, a.throughput]));
  const limit = (rate: number): BucketLimit | undefined =>
    rate > 0 ? { rate, burst: rate + config.burstExtra } : undefined;
  const accountRate = (accountId: string) => byId.get(accountId)?.perSecond ?? config.account;
  // Once, from the config: any rate above 0 anywhere (a default, an account's, a number's) may limit someone.
  const rates = [
    config.account,
    ...Object.values(config.numberTypes),
    ...accounts.flatMap((a) => [a.throughput?.perSecond ?? 0, ...Object.values(a.throughput?.numbers ?? {})]),
  ];
  return {
    unit: config.unit,
    limited: rates.some((rate) => rate > 0),
    senderLimit(accountId, from) {
      const override = byId.get(accountId)?.numbers?.[from];
      return limit(override ?? config.numberTypes[TYPE_KEYS[numberKind(from)]]);
    },
    accountLimit: (accountId) => limit(accountRate(accountId)),
    queueCapacity(accountId) {
      const explicit = byId.get(accountId)?.maxQueueSize;
      if (explicit !== undefined) return explicit > 0 ? explicit : undefined;
      const rate = accountRate(accountId);
      // Bandwidth sizes the account queue to 15 minutes of its dequeue rate.
      return rate > 0 && config.queueMinutes > 0 ? Math.ceil(rate * 60 * config.queueMinutes) : undefined;
    },
    accountRatePerMinute: (accountId) => Math.round(accountRate(accountId) * 60),
  };
}
