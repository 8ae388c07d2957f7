import {
  DomainError,
  type EventContracts,
  type EventEnvelope,
  type EventHandler,
  type HandlerMap,
  oneAtATime,
} from '@concierge/kit';
import type { CredentialEffects } from '../directory/credential-effects';
import type { OrganizationRepository } from '../organizations/organization.repository';
import type { UserRepository } from '../directory/user.repository';
import type { UsersDeps } from '../directory/deps';
import { loadTree } from '../organizations/org-tree';
import { DEFAULT_SOURCE } from '../directory/profile';
import { updateUser } from '../directory/update-user';
import { UserUpsert, type RowOutcome } from '../import/user-upsert';
import {
  checkSubject,
  HR_FEED_ACTOR,
  HR_JOINER,
  HR_LEAVER,
  HR_MOVER,
  HrRecordRejectedError,
  personKey,
  toImportRecord,
  type HrLeaverRecord,
  type HrPersonRecord,
} from './hr-record';

export interface HrFeedDeps {
  users: UserRepository;
  orgs: OrganizationRepository;
  contracts: EventContracts;
  /** Users created ACTIVE get their set-password link, as from the import. */
  credentialEffects: CredentialEffects;
  /** Called after a record changed a user (the service kicks its outbox relay). */
  afterWrite?: () => void;
}

/**
 * The inbound HR feed: joiners and movers go through the import's idempotent upsert, leavers get
 * their end date through the update use case, so the lifecycle scheduler terminates them then.
 * Records Concierge cannot apply throw HrRecordRejectedError (dead-lettered at once, nothing
 * written); anything else (the database away) is an ordinary error the consumer retries.
 */
export function hrFeedHandlers(deps: HrFeedDeps): HandlerMap {
  // One record at a time: a report's record and its manager's, handled at once, could each miss
  // the other (the report's wait written after the manager's upsert looked for waits).
  return oneAtATime({
    [HR_JOINER]: onPerson(deps, { mustExist: false }),
    [HR_MOVER]: onPerson(deps, { mustExist: true }),
    [HR_LEAVER]: onLeaver(deps),
  });
}

/** The use-case dependencies for one record: the feed acts, in the record's correlation. */
function useCaseDeps(
  deps: HrFeedDeps,
  event: EventEnvelope,
): UsersDeps & { credentialEffects: CredentialEffects } {
  return {
    users: deps.users,
    orgs: deps.orgs,
    contracts: deps.contracts,
    credentialEffects: deps.credentialEffects,
    actor: HR_FEED_ACTOR,
    correlationId: event.correlationid,
  };
}

/** hr.joiner creates or updates; hr.mover updates, and refuses a person Concierge does not know. */
function onPerson(deps: HrFeedDeps, { mustExist }: { mustExist: boolean }): EventHandler {
  return async (event, { logger }) => {
    const record = event.data as unknown as HrPersonRecord;
    checkSubject(event.subject, record);
    const useCase = useCaseDeps(deps, event);
    const key = personKey(record);
    if (mustExist && (await deps.users.findByExternalKeys([key])).length === 0) {
      throw new HrRecordRejectedError(
        `no user has external id ${key.slice(0, 120)}; a mover needs a person a joiner or an import created`,
        'externalId',
      );
    }
    const upsert = new UserUpsert(useCase, await loadTree(useCase), { source: DEFAULT_SOURCE });
    const [outcome] = await upsert.apply([{ line: 1, record: toImportRecord(record) }]);
    const applied = settle(outcome);
    // A joiner whose reports arrived first becomes their manager now (and one who arrived before
    // their own manager waits for them).
    const links = await upsert.finish();
    if (applied.outcome !== 'unchanged' || links.linked > 0) deps.afterWrite?.();
    logger.info({ userId: applied.userId, outcome: applied.outcome }, `${event.type} applied`);
  };
}

/**
 * hr.leaver sets the end date through the same update path as any change, which recomputes the
 * due termination: the scheduler terminates at the end date, or at its next round when that is
 * now or past. A user who is terminated already is left as they are.
 */
function onLeaver(deps: HrFeedDeps): EventHandler {
  return async (event, { logger }) => {
    const record = event.data as unknown as HrLeaverRecord;
    checkSubject(event.subject, record);
    const key = personKey(record);
    const [user] = await deps.users.findByExternalKeys([key]);
    if (!user) {
      throw new HrRecordRejectedError(`no user has external id ${key.slice(0, 120)}`, 'externalId');
    }
    const log = logger.child({ userId: user._id, reason: record.reason });
    if (user.status === 'TERMINATED') {
      log.info('hr.leaver for a terminated user: nothing to do');
      return;
    }
    const after = await updateUser(user._id, { endDate: record.endDate }, useCaseDeps(deps, event)).catch(
      (err: unknown) => {
        throw asRejection(err);
      },
    );
    const outcome = after.outboxSeq === user.outboxSeq ? 'unchanged' : 'updated';
    if (outcome === 'updated') deps.afterWrite?.();
    log.info({ outcome, endDate: record.endDate }, 'hr.leaver applied');
  };
}

/** An upsert outcome that applied, or the error that decides retry (lost race) or dead letter. */
export function settle(outcome: RowOutcome | undefined): Exclude<RowOutcome, { outcome: 'rejected' }> {
  if (!outcome) throw new Error('the upsert returned no outcome for the record');
  if (outcome.outcome !== 'rejected') return outcome;
  if (outcome.retryable) throw new Error(`retrying: ${outcome.reason}`);
  throw new HrRecordRejectedError(outcome.reason, outcome.field);
}

/** A domain refusal (bad input, conflict, not found) becomes a rejection; anything else is retried. */
function asRejection(err: unknown): unknown {
  if (!(err instanceof DomainError)) return err;
  const { code, field } = err.extensions as { code?: string; field?: string };
  return code === 'BAD_USER_INPUT' || code === 'CONFLICT' || code === 'NOT_FOUND'
    ? new HrRecordRejectedError(err.message, field)
    : err;
}
