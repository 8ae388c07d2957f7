import {
  type CreationOutbox,
  type CreationSender,
  type DomainError,
  type EventEnvelope,
  type PreparedBatch,
  type StagedBatch,
} from '@concierge/kit';
import type { BulkActivation } from '../directory/credential-effects';
import { DuplicateUserError, type User } from '../directory/user.repository';
import type { UpdatePlan } from '../directory/update-user';
import type { KnownUsers } from './known-users';
import { RowError, type ImportedUser } from './map-record';

/*
 * The shapes the upsert's planner, writer and manager waits pass each other (user-upsert.ts).
 */

export type RowOutcome =
  | { line: number; outcome: 'created' | 'updated' | 'unchanged'; userId: string }
  | {
      line: number;
      outcome: 'rejected';
      reason: string;
      field?: string;
      /** The row lost a race with another write of the same user; applying it again may succeed. */
      retryable?: true;
    };

export interface UpsertOptions {
  /** Source system recorded with external ids when a record names none. */
  source: string;
  /** Check everything, write nothing. */
  dryRun?: boolean;
  /**
   * The directory's external keys, for imports of many batches: rows it does not know are created
   * without reading the store first.
   */
  known?: KnownUsers;
  /** Sends new users' events right after their insert (the import command), instead of the relay. */
  sender?: CreationSender;
}

export type Row = { line: number; record: Record<string, unknown> };
/** A row whose manager is not in the directory yet: written without them, it waits for them. */
export type Wait = { userKey: string; userId: string; managerKey: string };
/** A user to create, with its events (user.created, and its set-password link once minted). */
export type Insert = { line: number; doc: User; events: EventEnvelope[]; digest: string | null };
export type Update = { line: number; current: User; plan: UpdatePlan; digest: string | null };
/** A row found unchanged by reading its user: its mark can vouch for it from now on. */
export type Checked = { current: User; digest: string };

/** A batch checked and prepared, ready to be written by `commit`. */
export interface BatchPlan {
  /** Rows decided while planning: rejected or unchanged. */
  outcomes: RowOutcome[];
  inserts: Insert[];
  updates: Update[];
  /** Set-password tokens of the users created ACTIVE, minted, not yet stored. */
  links: BulkActivation | null;
  /**
   * The tokens and staged events on their way to the database: they start as soon as the batch is
   * planned, so that the database has them queued behind the commit in flight. Both are harmless if
   * the plan is then discarded: tokens nobody was sent, and staged events whose users never land
   * (recovery drops them).
   */
  staging: Promise<StagedBatch> | null;
  /** Managers created by an earlier batch still being written: their ids, by external key. */
  borrowed: Map<string, string>;
  /** Rows written without their manager, by line: they wait for that manager once they land. */
  waits: Map<number, Wait>;
  /** Rows that name a manager who exists, or none: an earlier wait of theirs ends when they land. */
  settled: Map<number, string>;
  /** Rows found unchanged by reading their users. */
  checked: Checked[];
}

/** What `finish` did with the users that waited for their manager. */
export interface ManagerLinks {
  /** Users whose manager now exists and was set. */
  linked: number;
  /** Users still waiting for a manager who is not in the directory. */
  waiting: number;
  /** Waits that ended without a manager: the manager cannot take them (left, or a cycle). */
  refused: { userId: string; managerKey: string; reason: string }[];
}

/** What the upsert needs to know of a user it may create or update in the current batch. */
export type Known = Map<string, User>;

/** What the planner, the writer and the manager waits of one upsert share. */
export interface UpsertState {
  /**
   * A dry run writes nothing, so users it would create or change are remembered here for the rows
   * of later batches that name them as managers (memory grows with the file in dry runs only).
   */
  planned: Known;
  /**
   * Users of planned batches not yet committed, by external key: a later batch may name them as
   * managers while they are being written (see BatchPlanner).
   */
  unwritten: Known;
  /** Planned batches not yet committed that change existing users. */
  unwrittenUpdates: number;
  /** Users the last commit failed to create: plans that borrowed them as managers are stale. */
  notLanded: Set<string>;
  /** Users this upsert created: only they can be a manager someone waits for (ManagerWaits). */
  createdKeys: Set<string>;
}

export function newUpsertState(): UpsertState {
  return {
    planned: new Map(),
    unwritten: new Map(),
    unwrittenUpdates: 0,
    notLanded: new Set(),
    createdKeys: new Set(),
  };
}

/**
 * Tokens and staged events, both before the users: no link without its token, no user without its
 * events. They do not depend on each other, so they go to the database together.
 */
export function stage(
  creations: CreationOutbox,
  events: PreparedBatch,
  links: BulkActivation | null,
): Promise<StagedBatch> {
  const staging = Promise.all([creations.stage(events), links?.store()]).then(([batch]) => batch);
  staging.catch(() => undefined); // the commit awaits it; a discarded plan's failure is moot
  return staging;
}

export function rejected(line: number, err: unknown): RowOutcome {
  if (err instanceof RowError) return { line, outcome: 'rejected', reason: err.message, field: err.field };
  if (err instanceof DuplicateUserError) {
    return { line, outcome: 'rejected', reason: `${err.field} is taken by another user`, field: err.field };
  }
  const ext = (err as DomainError).extensions as { code?: string; field?: string } | undefined;
  if (ext?.code === 'BAD_USER_INPUT' || ext?.code === 'CONFLICT') {
    return { line, outcome: 'rejected', reason: (err as Error).message, field: ext.field };
  }
  throw err;
}

/** The `source:externalId` of the manager a record names (in the record's own source), if any. */
export function managerKeyOf(user: ImportedUser, key: string): string | null {
  return user.managerExternalId ? `${key.slice(0, key.indexOf(':'))}:${user.managerExternalId}` : null;
}

/**
 * The rows of a batch with every manager before the reports that name them (HR exports often list
 * reports first); otherwise in their order. A cycle keeps its order, and placement refuses it.
 */
export function managersFirst<M extends { user: ImportedUser; key: string }>(rows: readonly M[]): M[] {
  const byKey = new Map<string, M>();
  for (const row of rows) if (!byKey.has(row.key)) byKey.set(row.key, row);
  const out: M[] = [];
  const state = new Map<M, 'visiting' | 'done'>();
  const visit = (row: M) => {
    if (state.has(row)) return;
    state.set(row, 'visiting');
    const managerKey = managerKeyOf(row.user, row.key);
    const manager = managerKey ? byKey.get(managerKey) : undefined;
    if (manager && manager !== row) visit(manager);
    state.set(row, 'done');
    out.push(row);
  };
  for (const row of rows) visit(row);
  return out;
}
