import { ConflictError, NotFoundError, type Logger } from '@concierge/kit';
import { serviceEvent, type EventDeps } from '../shared/events';
import { expiringAt, grantFields, isLive, type Grant, type RevocationCause } from './grant';
import type { GrantRepository } from './grant.repository';
import { GRANT_ERRORS } from './grants.errors';

export interface GrantDeps extends EventDeps {
  grants: GrantRepository;
  now: Date;
  logger?: Logger;
}

/** A grant to create: what it gives to whom, when, and why (the rest the store fills in). */
export type NewGrant = { id: string } & Pick<
  Grant,
  | 'beneficiaryId'
  | 'applicationId'
  | 'applicationName'
  | 'entitlementId'
  | 'entitlementName'
  | 'validFrom'
  | 'validTo'
  | 'source'
  | 'requestId'
  | 'ruleId'
  | 'reason'
>;

/**
 * Gives a person an entitlement: claims their holding of it (one live grant per person and
 * entitlement), then creates the grant, ACTIVE or SCHEDULED by its start; grant.created. A repeat
 * with the same id returns the grant made the first time. `heldBy` names another live grant that
 * holds the entitlement already (then nothing is created).
 */
export async function createGrant(
  input: NewGrant,
  deps: GrantDeps,
): Promise<{ grant: Grant | null; heldBy: string | null }> {
  const existing = await deps.grants.store.load(input.id);
  if (existing) return { grant: existing, heldBy: null };
  const heldBy = await deps.grants.claimHolding(input.beneficiaryId, input.entitlementId, input.id);
  if (heldBy) return { grant: null, heldBy };
  const { id, ...fields } = input;
  const status = input.validFrom.getTime() <= deps.now.getTime() ? 'ACTIVE' : 'SCHEDULED';
  const state = {
    _id: id,
    ...fields,
    grantedBy: deps.actor,
    status,
    expiringNotified: false,
    extensions: [],
    endedAt: null,
    cause: null,
    endReason: null,
    createdAt: deps.now,
  } satisfies Omit<Grant, 'version'>;
  const event = serviceEvent(deps, 'grant.created', id, {
    ...grantFields({ ...state, version: 1 }),
    validFrom: input.validFrom.toISOString(),
    validTo: input.validTo?.toISOString() ?? null,
    source: input.source,
    requestId: input.requestId,
    ruleId: input.ruleId,
    status,
  });
  const created = await deps.grants.store.create(state, { events: [event] });
  return { grant: created ?? (await deps.grants.store.load(id)), heldBy: null };
}

/** Takes a live grant away; grant.revoked. CONFLICT when it ended already (unless `quiet`: then null). */
export async function revokeGrant(
  id: string,
  cause: RevocationCause,
  reason: string,
  deps: GrantDeps,
  options: { quiet?: boolean } = {},
): Promise<Grant | null> {
  const result = await deps.grants.store.update(id, (grant) => {
    if (!isLive(grant)) {
      if (options.quiet) return null;
      throw new ConflictError(`The grant is ${grant.status.toLowerCase()} already`, {
        reason: GRANT_ERRORS.NOT_LIVE,
      });
    }
    const next: Grant = { ...grant, status: 'REVOKED', endedAt: deps.now, cause, endReason: reason };
    return {
      next,
      events: [serviceEvent(deps, 'grant.revoked', id, { ...grantFields(grant), cause, reason })],
    };
  });
  if (!result) throw new NotFoundError('Grant', id);
  if (!result.changed) return options.quiet ? null : result.state;
  await deps.grants.releaseHolding(result.state);
  return result.state;
}

/**
 * Moves a grant's end to `validTo` for an approved extension request; grant.extended. A repeat
 * of the same request changes nothing; a grant that ended meanwhile is not brought back.
 */
export async function extendGrant(
  id: string,
  requestId: string,
  validTo: Date | null,
  deps: GrantDeps,
): Promise<void> {
  await deps.grants.store.update(id, (grant) => {
    if (grant.extensions.some((e) => e.requestId === requestId)) return null;
    if (!isLive(grant)) {
      deps.logger?.warn({ grantId: id, requestId }, 'extension approved after the grant ended; not applied');
      return null;
    }
    const next: Grant = {
      ...grant,
      validTo,
      expiringNotified: false,
      extensions: [...grant.extensions, { requestId, previousValidTo: grant.validTo, validTo, at: deps.now }],
    };
    const event = serviceEvent(deps, 'grant.extended', id, {
      ...grantFields(grant),
      validTo: validTo?.toISOString() ?? null,
      previousValidTo: grant.validTo?.toISOString() ?? null,
      requestId,
    });
    return { next, events: [event] };
  });
}

/**
 * What the scheduler does when a grant's time comes: it starts (grant.started), its holder is told
 * it expires soon (grant.expiring), or it ends (grant.expired, the holding let go). Catches up on
 * all that fell due while nobody looked.
 */
export async function fireGrant(grant: Grant, deps: GrantDeps): Promise<void> {
  const now = deps.now.getTime();
  const next: Grant = { ...grant };
  const events = [];
  if (next.status === 'SCHEDULED' && next.validFrom.getTime() <= now) {
    next.status = 'ACTIVE';
    events.push(
      serviceEvent(deps, 'grant.started', grant._id, {
        ...grantFields(grant),
        validFrom: grant.validFrom.toISOString(),
        validTo: grant.validTo?.toISOString() ?? null,
      }),
    );
  }
  if (next.status === 'ACTIVE' && next.validTo && next.validTo.getTime() <= now) {
    next.status = 'EXPIRED';
    next.endedAt = deps.now;
    events.push(
      serviceEvent(deps, 'grant.expired', grant._id, {
        ...grantFields(grant),
        validTo: next.validTo.toISOString(),
      }),
    );
  } else if (next.status === 'ACTIVE' && next.validTo && !next.expiringNotified) {
    const notice = expiringAt(next);
    if (notice && notice.getTime() <= now) {
      next.expiringNotified = true;
      events.push(
        serviceEvent(deps, 'grant.expiring', grant._id, {
          ...grantFields(grant),
          validTo: next.validTo.toISOString(),
        }),
      );
    }
  }
  if (events.length === 0) return;
  await deps.grants.store.commit(grant, { next, events });
  if (next.status === 'EXPIRED') await deps.grants.releaseHolding(next);
}
