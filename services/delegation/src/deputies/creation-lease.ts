import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import { ExclusiveKeys, withDocumentLocks } from '@concierge/kit';
import { busy } from './delegation.errors';

const COLLECTION = 'delegation_leases';
const KEY = 'creation';

export interface CreationLeaseOptions {
  /** How long a holder may keep the lease before others take it over (a holder that died). */
  leaseMs?: number;
  /** How long a creation waits for the lease before it gives up with DELEGATION.BUSY. */
  waitMs?: number;
}

/**
 * Creations of delegations one at a time, across processes. The cycle check reads many
 * delegations and the database has no transactions, so two creations at once (A → B and B → A)
 * could each pass it and together close a loop. Holding one lease from the check through the
 * commit rules that out; creations are rare and take milliseconds, so one lease for all costs
 * little. The lease is a kit ExclusiveKeys key (a unique insert) whose owner names its expiry, so
 * the lease of a process that died is taken over once that has passed (and the kit's grace for
 * young keys). Within a process, callers queue on a lock first and do not poll the database
 * against each other.
 */
export class CreationLease {
  private readonly keys: ExclusiveKeys;
  private readonly leaseMs: number;
  private readonly waitMs: number;

  constructor(db: Connection, options: CreationLeaseOptions = {}) {
    this.keys = new ExclusiveKeys(db, COLLECTION);
    this.leaseMs = options.leaseMs ?? 15_000;
    this.waitMs = options.waitMs ?? 10_000;
  }

  /** Runs `work` holding the lease; DELEGATION.BUSY when it cannot be had within waitMs. */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    return withDocumentLocks([`${COLLECTION}/${KEY}`], async () => {
      const owner = `${randomUUID()}@${Date.now() + this.leaseMs}`;
      const giveUpAt = Date.now() + this.waitMs;
      while ((await this.keys.acquire(KEY, owner, async (other) => expiryOf(other) > Date.now())) !== null) {
        if (Date.now() > giveUpAt) throw busy();
        await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 30));
      }
      try {
        return await work();
      } finally {
        await this.keys.release(KEY, owner);
      }
    });
  }
}

/** The expiry an owner names (`<uuid>@<epoch ms>`); 0 for anything else, which is taken over. */
function expiryOf(owner: string): number {
  const at = Number(owner.slice(owner.lastIndexOf('@') + 1));
  return Number.isFinite(at) ? at : 0;
}
