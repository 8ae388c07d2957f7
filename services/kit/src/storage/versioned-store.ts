import type { Collection, Filter } from 'mongodb';
import type { Connection } from 'mongoose';
import type { EventEnvelope } from '../events/envelope';
import { OUTBOX_INDEX, outboxInsert, type OutboxFields } from '../events/outbox';
import { documentKey, withDocumentLocks } from '../locks';
import type { Logger } from '../logger';
import { isDuplicateKey, mapBounded } from './batch';
import { dueBucketFor, type DueSweeper } from './due-work';

/**
 * Aggregates whose every change is claimed by a unique insert, so that exactly one writer wins,
 * across processes, on FerretDB as on MongoDB. FerretDB v1 has no compare-and-set: it applies a
 * conditional update by reading the document, checking the filter in Go and writing it back, so
 * two writers that read the same version both "succeed" and one change is lost (README, "Storage").
 * A unique `_id` holds, so a change from version v to v+1 is first written as the record
 * `<id>#<v+1>` of the `<collection>_versions` log, holding the whole new state, its events (the
 * outbox, published by the relay) and its effects. Whoever inserts it has made the change; a
 * second writer from version v gets a duplicate key, reads again and decides anew.
 *
 * The `<collection>` documents are the current states that queries and indexes read: written after
 * the claim, and caught up by whoever reads the next version (`load` looks one version ahead) or by
 * `heal` after a crash. `<collection>_timers` holds a small document per version that needs the
 * scheduler (`dueAt`), found by minute bucket (the kit's DueSweeper) and fired by `sweepDue`:
 * replicas may fire the same timer, and the claim lets only one of them change the aggregate.
 */
export interface Versioned {
  _id: string;
  /** 1 for a new aggregate; each committed change adds one. */
  version: number;
}

/** One committed version: the claim, the state it made, and what must follow it. */
export interface VersionRecord<T, E> extends OutboxFields {
  /** `<aggregate id>#<version>` */
  _id: string;
  aggregateId: string;
  version: number;
  state: T;
  /** Effects on other aggregates (e.g. create a grant), run after the write and again by heal. */
  effects: E[];
  committedAt: Date;
  /** false until the current state, the timer and the effects of this version are in place. */
  applied: boolean;
}

/** A scheduled look at one version of an aggregate. */
export interface VersionTimer {
  /** `<aggregate id>#<version>` */
  _id: string;
  aggregateId: string;
  version: number;
  dueAt: Date;
  dueBucket: string;
  failures?: number;
}

/** Another writer committed a version from the same state first. */
export class VersionConflictError extends Error {
  constructor(readonly aggregateId: string) {
    super(`${aggregateId} was changed by another writer`);
    this.name = 'VersionConflictError';
  }
}

/** A decided change: the new state (its version is set by the store), its events and its effects. */
export interface Change<T, E> {
  next: T;
  events?: EventEnvelope[];
  effects?: E[];
}

export interface VersionedStoreOptions<T, E> {
  db: Connection;
  /** The current-state collection; its model, declared by the service, holds the query indexes. */
  collection: string;
  /** When the aggregate next needs the scheduler; null when never. */
  dueAt?: (state: T) => Date | null;
  /** Runs the effects of a committed version. Must be idempotent: heal may run them again. */
  runEffects?: (effects: E[], state: T) => Promise<void>;
  /** Called after every commit, e.g. to kick the outbox relay. */
  onCommitted?: () => void;
  logger?: Logger;
}

/** How long a version may stay unapplied before heal takes it over from its writer. */
const HEAL_AFTER_MS = 10_000;
/** A timer whose firing failed is looked at again after this long. */
const RETRY_MS = 60_000;

export class VersionedStore<T extends Versioned, E = never> {
  readonly current: Collection<T>;
  readonly versions: Collection<VersionRecord<T, E>>;
  readonly timers: Collection<VersionTimer>;

  constructor(private readonly options: VersionedStoreOptions<T, E>) {
    this.current = options.db.collection<T>(options.collection) as unknown as Collection<T>;
    this.versions = options.db.collection(
      VersionedStore.versionsOf(options.collection),
    ) as unknown as Collection<VersionRecord<T, E>>;
    this.timers = options.db.collection(
      `${options.collection}_timers`,
    ) as unknown as Collection<VersionTimer>;
  }

  /** The name of a collection's version log: the relay publishes from it (a service's outbox collection). */
  static versionsOf(collection: string): string {
    return `${collection}_versions`;
  }

  /** Creates the log's and the timers' indexes. */
  async init(): Promise<void> {
    // The relay's scan for unpublished events.
    await this.versions.createIndex(OUTBOX_INDEX);
    // heal: versions whose writer has not confirmed them yet.
    await this.versions.createIndex({ applied: 1 });
    // sweepDue: the timers of one minute.
    await this.timers.createIndex({ dueBucket: 1 });
  }

  /** The current state as last written, for queries (may lag a version being written). */
  async peek(id: string): Promise<T | null> {
    return (await this.current.findOne({ _id: id } as Filter<T>)) as T | null;
  }

  /**
   * The latest committed state, for a writer: the current state, then any newer version the log
   * holds (a writer that has not written it yet, or that crashed), which is written through.
   */
  async load(id: string): Promise<T | null> {
    let state = await this.peek(id);
    for (;;) {
      const next = await this.versions.findOne({ _id: recordId(id, (state?.version ?? 0) + 1) } as Filter<
        VersionRecord<T, E>
      >);
      if (!next) return state;
      state = next.state;
      await this.writeCurrent(next.state);
    }
  }

  /** Creates an aggregate at version 1; null when one with its id exists (the create is a repeat). */
  async create(state: Omit<T, 'version'>, change: Omit<Change<T, E>, 'next'> = {}): Promise<T | null> {
    const first = { ...state, version: 1 } as T;
    try {
      return await this.commitVersion(first, change);
    } catch (err) {
      if (err instanceof VersionConflictError) return null;
      throw err;
    }
  }

  /** Commits `change.next` as the version after `current`; VersionConflictError if another came first. */
  async commit(current: T, change: Change<T, E>): Promise<T> {
    return this.commitVersion({ ...change.next, _id: current._id, version: current.version + 1 }, change);
  }

  /**
   * Loads, decides and commits, deciding again on the newer state when another writer came first.
   * `decide` returns null for "nothing to change" and may throw (a domain error: nothing is written).
   * Returns the state after, and whether this call changed it; null when there is no such aggregate.
   */
  async update(
    id: string,
    decide: (state: T) => Promise<Change<T, E> | null> | Change<T, E> | null,
    attempts = 8,
  ): Promise<{ state: T; changed: boolean } | null> {
    for (let attempt = 0; attempt < attempts; attempt++) {
      const state = await this.load(id);
      if (!state) return null;
      const change = await decide(state);
      if (!change) return { state, changed: false };
      try {
        return { state: await this.commit(state, change), changed: true };
      } catch (err) {
        if (!(err instanceof VersionConflictError)) throw err;
        // Writers that met keep apart a little, so that the same ones do not meet again.
        await sleep(Math.random() * 5 * (attempt + 1));
      }
    }
    throw new Error(`${id} kept changing under ${attempts} attempts`);
  }

  private async commitVersion(state: T, change: Omit<Change<T, E>, 'next'>): Promise<T> {
    const record: VersionRecord<T, E> = {
      _id: recordId(state._id, state.version),
      aggregateId: state._id,
      version: state.version,
      state,
      effects: change.effects ?? [],
      committedAt: new Date(),
      applied: false,
      ...outboxInsert(change.events ?? []),
    };
    try {
      await this.versions.insertOne(record as never);
    } catch (err) {
      if (isDuplicateKey(err)) throw new VersionConflictError(state._id);
      throw err;
    }
    this.options.onCommitted?.();
    await this.apply(record);
    return state;
  }

  /** Writes what follows a committed version: the current state, its timer, its effects; then marks it applied. */
  private async apply(record: VersionRecord<T, E>): Promise<void> {
    const written = await this.writeCurrent(record.state);
    const due = written ? this.options.dueAt?.(record.state) : null;
    if (due) {
      try {
        await this.timers.insertOne({
          _id: record._id,
          aggregateId: record.aggregateId,
          version: record.version,
          dueAt: due,
          dueBucket: dueBucketFor(due),
        } as never);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
    if (record.effects.length > 0 && this.options.runEffects) {
      try {
        await this.options.runEffects(record.effects, record.state);
      } catch (err) {
        // The change stands; heal runs the effects again.
        this.options.logger?.warn(
          { err, aggregateId: record.aggregateId, version: record.version },
          'effects of a committed version failed; heal will run them again',
        );
        return;
      }
    }
    const name = this.versions.collectionName;
    await withDocumentLocks([documentKey(name, record._id)], () =>
      this.versions.updateOne(
        { _id: record._id } as Filter<VersionRecord<T, E>>,
        { $set: { applied: true } } as never,
      ),
    );
    // The log keeps the first version (the creation claim: an id is created once) and the last
    // two; the others are history once applied and published.
    if (record.version > 3) {
      const old = recordId(record.aggregateId, record.version - 2);
      await withDocumentLocks([documentKey(name, old)], () =>
        this.versions.deleteOne({ _id: old, applied: true, outboxPending: false } as Filter<
          VersionRecord<T, E>
        >),
      );
    }
  }

  /**
   * Writes a state as current unless a newer one is there. True when this version is (or became)
   * the current one.
   */
  private async writeCurrent(state: T): Promise<boolean> {
    const key = documentKey(this.current.collectionName, state._id);
    return withDocumentLocks([key], async () => {
      try {
        const result = await this.current.replaceOne(
          { _id: state._id, version: { $lt: state.version } } as Filter<T>,
          state as never,
          { upsert: true },
        );
        return result.modifiedCount + result.upsertedCount > 0 || result.matchedCount > 0;
      } catch (err) {
        // The upsert met the document at this version or a newer one.
        if (isDuplicateKey(err)) {
          const stored = await this.peek(state._id);
          return stored?.version === state.version;
        }
        throw err;
      }
    });
  }

  /**
   * Applies the versions whose writer did not confirm them within HEAL_AFTER_MS (it crashed, or
   * lost the database): current state, timer, effects. Run by a background loop; returns how many.
   */
  async heal(now = new Date()): Promise<number> {
    const stale = await this.versions.find({ applied: false } as Filter<VersionRecord<T, E>>).toArray();
    let healed = 0;
    for (const record of stale) {
      if (now.getTime() - record.committedAt.getTime() < HEAL_AFTER_MS) continue;
      await this.apply(record as VersionRecord<T, E>);
      healed++;
    }
    return healed;
  }

  /**
   * Fires every timer due by `now`, minute by minute from where the sweeper stopped: `fire` is given
   * the aggregate as it stands at the timer's version (a timer of an older version is dropped).
   * Several replicas may fire one timer; `fire` commits through this store, so one of them wins and
   * the others meet a VersionConflictError, which counts as done. A timer whose `fire` fails
   * otherwise is tried again a minute later. Returns how many fired.
   */
  async sweepDue(
    now: Date,
    sweeper: DueSweeper,
    fire: (state: T, now: Date) => Promise<void>,
    concurrency = 8,
  ): Promise<number> {
    let fired = 0;
    await sweeper.sweep(now, async (bucket) => {
      const due = (await this.timers.find({ dueBucket: bucket } as Filter<VersionTimer>).toArray())
        .filter((t) => t.dueAt.getTime() <= now.getTime())
        .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
      const results = await mapBounded(due, concurrency, (timer) =>
        this.fireOne(timer as VersionTimer, now, fire),
      );
      fired += results.filter(Boolean).length;
    });
    return fired;
  }

  /** The timers due in one minute (for measuring what a sweep reads). */
  async timersIn(bucket: string): Promise<VersionTimer[]> {
    return (await this.timers
      .find({ dueBucket: bucket } as Filter<VersionTimer>)
      .toArray()) as VersionTimer[];
  }

  private async fireOne(
    timer: VersionTimer,
    now: Date,
    fire: (state: T, now: Date) => Promise<void>,
  ): Promise<boolean> {
    const state = await this.load(timer.aggregateId);
    if (!state || state.version !== timer.version) {
      await this.timers.deleteOne({ _id: timer._id } as Filter<VersionTimer>);
      return false;
    }
    try {
      await fire(state, now);
    } catch (err) {
      if (err instanceof VersionConflictError) {
        // Another replica fired it first.
        await this.timers.deleteOne({ _id: timer._id } as Filter<VersionTimer>);
        return false;
      }
      {
        const retryAt = new Date(now.getTime() + RETRY_MS);
        this.options.logger?.error(
          { err, aggregateId: timer.aggregateId, version: timer.version },
          'timer failed; tried again in a minute',
        );
        await this.timers.updateOne({ _id: timer._id } as Filter<VersionTimer>, {
          $set: {
            dueAt: retryAt,
            dueBucket: dueBucketFor(retryAt, now),
            failures: (timer.failures ?? 0) + 1,
          },
        });
        return false;
      }
    }
    await this.timers.deleteOne({ _id: timer._id } as Filter<VersionTimer>);
    return true;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function recordId(id: string, version: number): string {
  return `${id}#${version}`;
}
