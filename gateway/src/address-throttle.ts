import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';

export interface ThrottlePolicy {
  /** Credential mutations an address may send at once. */
  burst: number;
  /** Credential mutations per minute an address earns back. */
  perMinute: number;
}

export const DEFAULT_THROTTLE: Readonly<ThrottlePolicy> = Object.freeze({ burst: 10, perMinute: 10 });

/** Addresses remembered at most; beyond, the oldest buckets are dropped (they were full or nearly). */
const MAX_ADDRESSES = 100_000;

/**
 * Token buckets per client address for sign-in and credential mutations, in this gateway's
 * memory: one address can try few passwords a minute, whichever accounts it aims at. The users
 * service throttles each account on top of this (per address, then for the account).
 */
export class AddressThrottle {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly policy: ThrottlePolicy) {}

  /** Takes one token for the address, or throws TOO_MANY_REQUESTS saying when to retry. */
  take(address: string | null, now = Date.now()): void {
    const key = address ?? 'unknown';
    const perMs = this.policy.perMinute / 60_000;
    const bucket = this.buckets.get(key);
    const tokens = bucket
      ? Math.min(this.policy.burst, bucket.tokens + (now - bucket.at) * perMs)
      : this.policy.burst;
    if (tokens < 1) {
      const retryAfterS = Math.ceil((1 - tokens) / perMs / 1000);
      throw new GraphQLError('Too many sign-in attempts from this address; try again later', {
        extensions: {
          code: 'TOO_MANY_REQUESTS',
          retryAfterSeconds: retryAfterS,
          http: { status: 429, headers: new HeaderMap([['retry-after', String(retryAfterS)]]) },
        },
      });
    }
    // Re-inserted so the map's order is least recently used first.
    this.buckets.delete(key);
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    if (this.buckets.size > MAX_ADDRESSES) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
  }
}
