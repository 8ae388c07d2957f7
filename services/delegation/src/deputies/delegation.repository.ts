import {
  findByKeys,
  VersionedStore,
  type Change,
  type DueSweeper,
  type EventEnvelope,
  type Logger,
} from '@concierge/kit';
import { expiryDue, type Delegation } from './delegation';
import { DELEGATIONS, type DelegationModel } from './delegation.model';

/** A delegation's creation: its first version, without the version the store sets. */
export type NewDelegation = Omit<Delegation, 'version'>;

export interface DelegationRepositoryOptions {
  /** Called after every commit (the service kicks its outbox relay). */
  onCommitted?: () => void;
  logger?: Logger;
}

/**
 * Delegations: written through the kit's VersionedStore, so that each change (with its events) is
 * claimed by exactly one writer across processes; read from the current-state collection by
 * equality on an indexed field. Plain objects in and out.
 */
export class DelegationRepository {
  private readonly store: VersionedStore<Delegation>;

  constructor(
    private readonly model: DelegationModel,
    options: DelegationRepositoryOptions = {},
  ) {
    this.store = new VersionedStore<Delegation>({
      db: model.db,
      collection: DELEGATIONS,
      dueAt: expiryDue,
      ...options,
    });
  }

  /** The version log: the relay publishes the events its records carry. */
  static readonly outboxCollection = VersionedStore.versionsOf(DELEGATIONS);

  /** Creates the query indexes and the store's own. */
  async init(): Promise<void> {
    await this.model.init();
    await this.store.init();
  }

  /** Commits a new delegation with its events; null if its id exists already. */
  async create(delegation: NewDelegation, events: EventEnvelope[]): Promise<Delegation | null> {
    return this.store.create(delegation, { events });
  }

  /**
   * Loads the latest version, decides, commits; decides again on a newer version when another
   * writer came first. Null when there is no such delegation.
   */
  async update(
    id: string,
    decide: (current: Delegation) => Change<Delegation, never> | null,
  ): Promise<{ state: Delegation; changed: boolean } | null> {
    return this.store.update(id, decide);
  }

  /** Commits the version after `current`; the kit's VersionConflictError when another came first. */
  async commit(current: Delegation, change: Change<Delegation, never>): Promise<Delegation> {
    return this.store.commit(current, change);
  }

  /** The latest committed version (for a writer). */
  async load(id: string): Promise<Delegation | null> {
    return this.store.load(id);
  }

  /** Delegations by id (DataLoader batches). */
  async findByIds(ids: readonly string[]): Promise<Delegation[]> {
    return findByKeys<Delegation>(this.model, '_id', ids);
  }

  /** The delegations one user gave, in any order. */
  async givenBy(delegatorId: string): Promise<Delegation[]> {
    return this.model.find({ delegatorId }).lean<Delegation[]>().exec();
  }

  /** The delegations one user received, in any order. */
  async receivedBy(deputyId: string): Promise<Delegation[]> {
    return this.model.find({ deputyId }).lean<Delegation[]>().exec();
  }

  /** The delegations many users gave (DataLoader batches). */
  async givenByAny(delegatorIds: readonly string[]): Promise<Delegation[]> {
    return findByKeys<Delegation>(this.model, 'delegatorId', delegatorIds);
  }

  /** The delegations many users received (DataLoader batches). */
  async receivedByAny(deputyIds: readonly string[]): Promise<Delegation[]> {
    return findByKeys<Delegation>(this.model, 'deputyId', deputyIds);
  }

  /** Fires the expiry timers due by `now` (see VersionedStore.sweepDue); returns how many fired. */
  async sweepDue(
    now: Date,
    sweeper: DueSweeper,
    fire: (current: Delegation, now: Date) => Promise<void>,
  ): Promise<number> {
    return this.store.sweepDue(now, sweeper, fire);
  }

  /** Applies versions whose writer died before finishing them; returns how many. */
  async heal(now = new Date()): Promise<number> {
    return this.store.heal(now);
  }
}
