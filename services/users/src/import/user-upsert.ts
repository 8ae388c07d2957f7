import { createHash } from 'node:crypto';
import type { Db } from 'mongodb';
import {
  CreationOutbox,
  type CreationSender,
  isDuplicateKey,
  yieldToEventLoop,
  type DomainError,
  type EventEnvelope,
  type PreparedBatch,
  type StagedBatch,
} from '@concierge/kit';
import type { Organization } from '../organizations/organization.repository';
import { DuplicateUserError, type User } from '../directory/user.repository';
import type { Vouch } from '../directory/import-marks';
import { prepareUser } from '../directory/create-user';
import type { BulkActivation, CredentialEffects } from '../directory/credential-effects';
import type { UsersDeps } from '../directory/deps';
import type { OrgTree } from '../organizations/org-tree';
import { externalKeyOf, normalizeProfile } from '../directory/profile';
import { planUpdate, type UpdatePlan } from '../directory/update-user';
import type { ManagerRef } from '../directory/placement';
import type { KnownUsers } from './known-users';
import { mapRecord, RowError, type ImportedUser } from './map-record';

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

type Row = { line: number; record: Record<string, unknown> };
/** A row whose manager is not in the directory yet: written without them, it waits for them. */
type Wait = { userKey: string; userId: string; managerKey: string };
/** A user to create, with its events (user.created, and its set-password link once minted). */
type Insert = { line: number; doc: User; events: EventEnvelope[]; digest: string | null };
type Update = { line: number; current: User; plan: UpdatePlan; digest: string | null };
/** A row found unchanged by reading its user: its mark can vouch for it from now on. */
type Checked = { current: User; digest: string };

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

/** Rows planned between two turns of the event loop. */
const YIELD_EVERY = 100;

/** What the upsert needs to know of a user it may create or update in the current batch. */
type Known = Map<string, User>;

/**
 * The one upsert behind the import command, the import-job API and the HR feed: records keyed by
 * source and external id are created when new, updated when different, and left alone (no write,
 * no event) when unchanged. Each batch costs a constant number of round trips: at most one read of
 * the existing users by external key and one of managers outside the batch (none for new users
 * when a `KnownUsers` index vouches for them), then the new users' events staged in the creation
 * outbox, one unordered insertMany of the users and the outbox's confirmation. A changed user is
 * one compare-and-set write of its own, so that each row learns whether it landed.
 */
export class UserUpsert {
  constructor(
    /** With credential effects, users created ACTIVE get their set-password link as on any activation. */
    private readonly deps: UsersDeps & { credentialEffects?: CredentialEffects },
    private readonly tree: OrgTree<Organization>,
    private readonly options: UpsertOptions,
  ) {}

  private readonly codes = new Map<string, string>();
  /**
   * A dry run writes nothing, so users it would create or change are remembered here for the rows
   * of later batches that name them as managers (memory grows with the file in dry runs only).
   */
  private readonly planned: Known = new Map();
  /**
   * Users of planned batches not yet committed, by external key: a later batch may name them as
   * managers while they are being written (see `plan`).
   */
  private readonly unwritten: Known = new Map();
  /** Planned batches not yet committed that change existing users. */
  private unwrittenUpdates = 0;
  /** Users the last commit failed to create: plans that borrowed them as managers are stale. */
  private notLanded = new Set<string>();
  private committing: Promise<unknown> = Promise.resolve();
  /** Waits of a dry run's rows (user key to manager key), which it counts instead of storing. */
  private readonly waitedFor = new Map<string, string>();
  /** The open waits (user key to manager key): read once, then kept up to date by this upsert. */
  private stored: Promise<Map<string, string>> | null = null;
  /** Users this upsert created: only they can be a manager someone waits for (see `finish`). */
  private readonly createdKeys = new Set<string>();
  private readonly discarded = new WeakSet<BatchPlan>();

  private organizationIdOf(code: string | null): string | null {
    if (code === null) return null;
    if (this.codes.size === 0) {
      for (const org of this.tree.all()) this.codes.set(org.code, org._id);
    }
    const id = this.codes.get(code);
    if (!id) throw new RowError(`organisation ${code.slice(0, 40)} does not exist`, 'organization');
    return id;
  }

  /** Applies one batch, rows in order (a manager earlier in the batch is known to later rows). */
  async apply(rows: Row[]): Promise<RowOutcome[]> {
    return this.commit(
      await this.planAfter(
        rows,
        this.committing.catch(() => undefined),
      ),
    );
  }

  /**
   * Plans a batch while `previous` (the commit in flight) runs, then, once it is done, plans again
   * if the first plan had to wait or counted on a manager that commit failed to create. Throws
   * what `previous` throws.
   */
  async planAfter(rows: Row[], previous: Promise<unknown>): Promise<BatchPlan> {
    const early = await this.plan(rows);
    await previous;
    if (early && !this.isStale(early)) return early;
    if (early) this.discard(early);
    const plan = await this.plan(rows);
    // With nothing in flight any more, nothing can make a batch wait.
    if (!plan) throw new Error('an import batch could not be planned');
    return plan;
  }

  /**
   * Checks a batch and prepares its writes, without writing: an import plans batch k+1 while batch
   * k is being committed, so that the database and the process work at the same time. Returns null
   * when the batch must wait for the commit in flight: it names a user that commit creates or
   * changes, or that commit changes users (whose reads would then be stale).
   */
  async plan(rows: Row[]): Promise<BatchPlan | null> {
    if (this.unwrittenUpdates > 0) return null;
    const outcomes: RowOutcome[] = [];
    let mapped: { row: Row; user: ImportedUser; key: string; digest: string | null }[] = [];
    for (const row of rows) {
      try {
        const user = mapRecord(row.record, this.options.source);
        const key = externalKeyOf(
          normalizeProfile({ ...user.input, displayName: user.input.displayName ?? 'x' }),
        ) as string;
        mapped.push({ row, user, key, digest: this.digestOf(user) });
      } catch (err) {
        outcomes.push(rejected(row.line, err));
      }
    }
    if (mapped.some((m) => this.unwritten.has(m.key))) return null;

    // Rows an earlier import applied to users nobody wrote since are unchanged, with nothing to
    // read (a key twice in the batch is read: its rows may differ).
    const known = this.options.known;
    if (known) {
      const counts = new Map<string, number>();
      for (const m of mapped) counts.set(m.key, (counts.get(m.key) ?? 0) + 1);
      mapped = mapped.filter((m) => {
        const userId = m.digest && counts.get(m.key) === 1 ? known.unchanged(m.key, m.digest) : undefined;
        if (userId) outcomes.push({ line: m.row.line, outcome: 'unchanged', userId });
        return !userId;
      });
    }

    // Existing users of the batch and the managers it names, by external key: at most two reads,
    // fewer when an index of the directory's keys can tell that a row is new.
    const byKey: Known = new Map();
    const keys = mapped.map((m) => m.key);
    const toRead = known ? keys.filter((k) => known.mayExist(k)) : keys;
    for (const u of toRead.length > 0 ? await this.deps.users.findByExternalKeys(toRead) : []) {
      byKey.set(u.externalKey as string, u);
    }
    const managerKeys = new Set<string>();
    for (const m of mapped) {
      const managerKey = managerKeyOf(m.user, m.key);
      if (managerKey) managerKeys.add(managerKey);
    }
    const borrowed = new Map<string, string>();
    for (const key of [...keys, ...managerKeys]) {
      const planned = this.planned.get(key);
      if (planned) byKey.set(key, planned);
      const unwritten = this.unwritten.get(key);
      if (unwritten) {
        byKey.set(key, unwritten);
        borrowed.set(key, unwritten._id);
      }
    }
    // A batch that only creates users walks no manager chain, so the index's references will do
    // for managers outside it; a batch that updates someone reads them.
    const refs = new Map<string, ManagerRef>();
    const missing = [...managerKeys].filter((k) => !byKey.has(k));
    if (known && keys.every((k) => !byKey.has(k))) {
      for (const k of missing) {
        const ref = known.managerRef(k);
        if (ref) refs.set(k, ref);
      }
    }
    const unread = missing.filter((k) => !refs.has(k) && (!known || known.mayExist(k)));
    for (const u of unread.length > 0 ? await this.deps.users.findByExternalKeys(unread) : []) {
      byKey.set(u.externalKey as string, u);
    }
    const byId = new Map<string, ManagerRef>();
    for (const u of [...refs.values(), ...byKey.values()]) byId.set(u._id, u);

    const inserts: Insert[] = [];
    const updates: Update[] = [];
    const waits = new Map<number, Wait>();
    const settled = new Map<number, string>();
    const checked: Checked[] = [];
    for (const [i, { row, user, key, digest }] of managersFirst(mapped).entries()) {
      // Planning is computation; letting the event loop in now and then keeps the commit in flight
      // moving (its next write waits for the loop), so the database is not left idle meanwhile.
      if (i > 0 && i % YIELD_EVERY === 0) await yieldToEventLoop();
      try {
        const current = byKey.get(key);
        const manager = this.managerIdOf(user, key, byKey, refs);
        // A manager not in the directory yet: the row is written without them and waits for them.
        const managerId = manager.waitsFor ? (current ? undefined : null) : manager.id;
        if (manager.waitsFor) {
          waits.set(row.line, { userKey: key, userId: current?._id ?? '', managerKey: manager.waitsFor });
        } else if (manager.id !== undefined) settled.set(row.line, key);
        if (!current) {
          const organizationId = this.organizationIdOf(user.organizationCode);
          if (!organizationId) throw new RowError('organization is required for a new user', 'organization');
          const { user: doc, event } = await prepareUser(
            { ...user.input, organizationId, managerId: managerId ?? null },
            this.deps,
            this.tree,
            byId,
          );
          const created = { ...doc, createdAt: new Date(), updatedAt: new Date(), outboxSeq: 1 } as User;
          byKey.set(key, created);
          byId.set(created._id, created);
          const wait = waits.get(row.line);
          if (wait) wait.userId = created._id;
          inserts.push({ line: row.line, doc: created, events: [event], digest });
          continue;
        }
        const plan = await planUpdate(
          current,
          {
            ...user.input,
            ...(user.organizationCode
              ? { organizationId: this.organizationIdOf(user.organizationCode) }
              : {}),
            ...(managerId !== undefined ? { managerId } : {}),
          },
          this.deps,
          this.tree,
          byId,
        );
        if (!plan) {
          outcomes.push({ line: row.line, outcome: 'unchanged', userId: current._id });
          if (digest) checked.push({ current, digest });
          continue;
        }
        const next = { ...current, ...plan.set } as User;
        byKey.set(key, next);
        byId.set(next._id, next);
        updates.push({ line: row.line, current, plan, digest });
      } catch (err) {
        outcomes.push(rejected(row.line, err));
      }
    }

    if (this.options.dryRun) {
      for (const { doc } of inserts) this.planned.set(doc.externalKey as string, doc);
      for (const { current, plan } of updates)
        this.planned.set(current.externalKey as string, { ...current, ...plan.set });
      return { outcomes, inserts, updates, links: null, staging: null, borrowed, waits, settled, checked };
    }
    const active = inserts.filter((r) => r.doc.status === 'ACTIVE').map((r) => r.doc);
    const links =
      this.deps.credentialEffects && active.length > 0
        ? await this.deps.credentialEffects.mintBulkActivation(active, this.deps)
        : null;
    for (const r of inserts) {
      const link = links?.events.get(r.doc._id);
      if (link) r.events.push(link);
    }
    // The events wait in the creation outbox, staged before the users go in and confirmed for
    // those that landed: clearing an outbox inside each new user would cost one update per user.
    const events =
      inserts.length > 0
        ? await this.creations().prepare(inserts.map((r) => ({ documentId: r.doc._id, events: r.events })))
        : null;
    const staging = events ? this.stage(events, links) : null;
    for (const { doc } of inserts) this.unwritten.set(doc.externalKey as string, doc);
    if (updates.length > 0) this.unwrittenUpdates++;
    return { outcomes, inserts, updates, links, staging, borrowed, waits, settled, checked };
  }

  /**
   * Tokens and staged events, both before the users: no link without its token, no user without its
   * events. They do not depend on each other, so they go to the database together.
   */
  private stage(events: PreparedBatch, links: BulkActivation | null): Promise<StagedBatch> {
    const staging = Promise.all([this.creations().stage(events), links?.store()]).then(([batch]) => batch);
    staging.catch(() => undefined); // the commit awaits it; a discarded plan's failure is moot
    return staging;
  }

  /** Whether a plan counted on managers that the commit before it failed to create. */
  isStale(plan: BatchPlan): boolean {
    for (const id of plan.borrowed.values()) if (this.notLanded.has(id)) return true;
    return false;
  }

  /** Writes a planned batch: one commit at a time, in the order of their plans. */
  async commit(plan: BatchPlan): Promise<RowOutcome[]> {
    const work = this.write(plan);
    this.committing = work;
    try {
      return await work;
    } finally {
      this.discard(plan);
    }
  }

  /** Forgets a plan that was committed, or that will not be (stale: it is planned again). */
  discard(plan: BatchPlan): void {
    if (this.discarded.has(plan)) return;
    this.discarded.add(plan);
    for (const { doc } of plan.inserts) {
      const key = doc.externalKey as string;
      if (this.unwritten.get(key) === doc) this.unwritten.delete(key);
    }
    if (plan.updates.length > 0 && !this.options.dryRun) this.unwrittenUpdates--;
  }

  private async write(plan: BatchPlan): Promise<RowOutcome[]> {
    const { inserts, updates } = plan;
    const written = [...(await this.insert(plan)), ...(await this.update(updates))];
    const known = this.options.known;
    if (known && !this.options.dryRun) {
      await this.learn(known, inserts, written);
      await this.vouch(known, plan, written.slice(inserts.length));
    }
    this.notLanded = new Set(
      inserts.filter((_, i) => written[i]?.outcome !== 'created').map((r) => r.doc._id),
    );
    for (const [i, r] of inserts.entries()) {
      if (written[i]?.outcome === 'created') this.createdKeys.add(r.doc.externalKey as string);
    }
    const outcomes = [...plan.outcomes, ...written].sort((a, b) => a.line - b.line);
    await this.recordWaits(plan, outcomes);
    return outcomes;
  }

  /** Keeps the waits of the rows that landed, and ends the earlier waits of rows that settled them. */
  private async recordWaits(plan: BatchPlan, outcomes: RowOutcome[]): Promise<void> {
    const landed = outcomes.filter((o) => o.outcome !== 'rejected').map((o) => o.line);
    const waits = landed.flatMap((line) => plan.waits.get(line) ?? []);
    if (this.options.dryRun) {
      for (const w of waits) this.waitedFor.set(w.userKey, w.managerKey);
      return;
    }
    if (waits.length === 0 && plan.settled.size === 0) return;
    const waiting = await this.waiting();
    if (waits.length > 0) {
      await this.deps.users.waitForManagers(
        waits.map((w) => ({ _id: w.userKey, userId: w.userId, managerKey: w.managerKey })),
      );
      for (const w of waits) waiting.set(w.userKey, w.managerKey);
    }
    const ended = landed.flatMap((line) => {
      const key = plan.settled.get(line);
      return key && waiting.has(key) ? [key] : [];
    });
    for (const key of ended) waiting.delete(key);
    if (ended.length > 0) await this.deps.users.stopWaiting(ended);
  }

  /** The open waits, read once (the collection holds only those) and kept current by `recordWaits`. */
  private async waiting(): Promise<Map<string, string>> {
    this.stored ??= this.deps.users
      .waitingForManagers()
      .then((rows) => new Map(rows.map((r) => [r._id, r.managerKey])));
    return this.stored;
  }

  /**
   * Sets the manager of every user that waits for one this upsert created, and ends the waits the
   * manager cannot take. A wait is stored only while its manager does not exist, so only a user
   * created since can end it; the managers still missing are not looked up again. Called after the
   * last batch of an import or a feed record, so that rows and batches may come in any order. A dry
   * run only counts the rows that would wait.
   */
  async finish(): Promise<ManagerLinks> {
    if (this.options.dryRun) {
      const waiting = [...this.waitedFor.entries()].filter(([, m]) => !this.planned.has(m)).length;
      return { linked: 0, waiting, refused: [] };
    }
    await this.committing.catch(() => undefined);
    const waits = await this.deps.users.waitingForManagers();
    if (waits.length === 0) return { linked: 0, waiting: 0, refused: [] };
    const arrived = [...new Set(waits.map((w) => w.managerKey))].filter((k) => this.createdKeys.has(k));
    const managers = new Map<string, User>();
    for (const m of arrived.length > 0 ? await this.deps.users.findByExternalKeys(arrived) : []) {
      managers.set(m.externalKey as string, m);
    }
    const due = waits.filter((w) => managers.has(w.managerKey));
    const reports = new Map<string, User>();
    for (const u of due.length > 0 ? await this.deps.users.findByExternalKeys(due.map((w) => w._id)) : []) {
      reports.set(u.externalKey as string, u);
    }
    const byId = new Map<string, ManagerRef>([...managers.values()].map((m) => [m._id, m]));
    let linked = 0;
    const ended: string[] = [];
    const refused: ManagerLinks['refused'] = [];
    for (const wait of due) {
      const report = reports.get(wait._id);
      const manager = managers.get(wait.managerKey) as User;
      if (!report) {
        ended.push(wait._id);
        continue;
      }
      try {
        const plan = await planUpdate(report, { managerId: manager._id }, this.deps, this.tree, byId);
        // Still waiting if the user changed meanwhile: the next finish tries again.
        if (plan && !(await this.deps.users.update(report._id, report.outboxSeq, plan, plan.events)))
          continue;
        if (plan) linked++;
        ended.push(wait._id);
      } catch (err) {
        // The same errors a row is rejected for; anything else is thrown.
        const { reason } = rejected(0, err) as Extract<RowOutcome, { outcome: 'rejected' }>;
        refused.push({ userId: report._id, managerKey: wait.managerKey, reason });
        ended.push(wait._id);
      }
    }
    if (ended.length > 0) await this.deps.users.stopWaiting(ended);
    this.stored = null;
    return { linked, waiting: waits.length - ended.length, refused };
  }

  private creations(): CreationOutbox {
    return CreationOutbox.of(this.deps.users.model.db.db as Db, 'users');
  }

  /**
   * The digest of what a row asks for: its fields, and its organisation as the tree resolves it
   * now (null when it does not resolve: the row is then read and checked as usual).
   */
  private digestOf(user: ImportedUser): string | null {
    let organizationId: string | null;
    try {
      organizationId = this.organizationIdOf(user.organizationCode);
    } catch {
      return null;
    }
    const manager = user.managerExternalId === undefined ? { leaves: true } : user.managerExternalId;
    return createHash('sha256')
      .update(JSON.stringify([user.input, user.organizationCode, organizationId, manager]))
      .digest('base64url')
      .slice(0, 22);
  }

  /**
   * Lets the marks vouch for the users this batch updated or found unchanged by reading them, so
   * that the next import of the same rows reads none of them. A key written here is read again
   * if a later batch names it (its mark as read at the start no longer holds).
   */
  private async vouch(known: KnownUsers, plan: BatchPlan, updated: RowOutcome[]): Promise<void> {
    const marks: Vouch[] = [];
    for (const { current, digest } of plan.checked) {
      const key = current.externalKey as string;
      marks.push({ ...markFields(current), digest, v: known.versionOf(key) });
    }
    for (const [i, { current, plan: change, digest }] of plan.updates.entries()) {
      const key = current.externalKey as string;
      // The update marked the user stale first: one write more than the mark had when read.
      const v = (known.versionOf(key) ?? 0) + 1;
      known.suspect(key);
      known.forget(key);
      if (digest && updated[i]?.outcome === 'updated') {
        marks.push({ ...markFields({ ...current, ...change.set } as User), digest, v });
      }
    }
    await this.deps.users.importMarks.vouch(marks);
  }

  /**
   * Teaches the index the users this batch created. A new row that failed because someone else
   * created the same user meanwhile (the index did not know the key; the store now has it) is
   * reported as retryable, and its key is read from now on. One read, only when inserts failed.
   */
  private async learn(known: KnownUsers, inserts: Insert[], written: RowOutcome[]): Promise<void> {
    const lost = new Map<string, number>();
    for (const [i, { doc }] of inserts.entries()) {
      const key = doc.externalKey as string;
      if (written[i]?.outcome === 'created') known.add(key, doc);
      else if (!known.mayExist(key)) lost.set(key, i);
    }
    if (lost.size === 0) return;
    for (const other of await this.deps.users.findByExternalKeys([...lost.keys()])) {
      const key = other.externalKey as string;
      const i = lost.get(key) as number;
      known.suspect(key);
      written[i] = {
        line: (written[i] as RowOutcome).line,
        outcome: 'rejected',
        reason: 'another writer created this user during the import; import the row again',
        field: 'externalId',
        retryable: true,
      };
    }
  }

  /**
   * The manager's id, from the batch or the store: undefined when the record leaves it unchanged,
   * null when it names none. A manager the directory does not have yet comes back as `waitsFor`.
   */
  private managerIdOf(
    user: ImportedUser,
    key: string,
    byKey: Known,
    refs: ReadonlyMap<string, ManagerRef>,
  ): { id: string | null | undefined; waitsFor?: string } {
    if (user.managerExternalId === undefined) return { id: undefined };
    if (user.managerExternalId === null) return { id: null };
    const managerKey = managerKeyOf(user, key) as string;
    if (managerKey === key) throw new RowError('a user cannot be their own manager', 'managerExternalId');
    const manager = byKey.get(managerKey) ?? refs.get(managerKey);
    return manager ? { id: manager._id } : { id: undefined, waitsFor: managerKey };
  }

  /** Creates the plan's new users; outcomes in the order of `plan.inserts`. */
  private async insert(plan: BatchPlan): Promise<RowOutcome[]> {
    const rows = plan.inserts;
    if (rows.length === 0) return [];
    const created = (r: { line: number; doc: User }): RowOutcome => ({
      line: r.line,
      outcome: 'created',
      userId: r.doc._id,
    });
    if (this.options.dryRun) return this.dryRunInserts(rows);
    const batch = await (plan.staging ?? this.stage(await this.creations().prepare([]), null));
    let failed = new Set<number>();
    try {
      const digests = new Map<string, string>();
      for (const r of rows) if (r.digest) digests.set(r.doc._id, r.digest);
      await this.deps.users.insertMany(
        rows.map((r) => r.doc),
        digests,
      );
    } catch (err) {
      failed = new Set<number>(
        ((err as { writeErrors?: { index: number }[] }).writeErrors ?? []).map((w) => w.index),
      );
      if (!isDuplicateKey(err) && failed.size === 0) throw err;
    }
    const notLanded = rows.filter((_, i) => failed.has(i)).map((r) => r.doc._id);
    if (this.options.sender) {
      const events = rows.filter((_, i) => !failed.has(i)).flatMap((r) => r.events);
      this.options.sender.send(batch, notLanded, events);
    } else {
      await this.creations().settle(batch, notLanded);
    }
    const out: RowOutcome[] = [];
    for (const [i, r] of rows.entries()) {
      if (!failed.has(i)) {
        out.push(created(r));
        continue;
      }
      const field = await this.deps.users.duplicateField(r.doc);
      out.push({ line: r.line, outcome: 'rejected', reason: `${field} is taken by another user`, field });
    }
    return out;
  }

  /** A dry run cannot rely on the unique indexes, so it asks for e-mails and usernames already taken. */
  private async dryRunInserts(rows: Insert[]): Promise<RowOutcome[]> {
    const taken = await this.deps.users.takenLogins(
      rows.map((r) => r.doc.email),
      rows.map((r) => r.doc.username),
    );
    return rows.map((r) => {
      const field = taken.has(r.doc.email) ? 'email' : taken.has(r.doc.username) ? 'username' : null;
      return field
        ? { line: r.line, outcome: 'rejected' as const, reason: `${field} is taken by another user`, field }
        : { line: r.line, outcome: 'created' as const, userId: r.doc._id };
    });
  }

  private async update(rows: Update[]): Promise<RowOutcome[]> {
    const out: RowOutcome[] = [];
    for (const { line, current, plan } of rows) {
      if (this.options.dryRun) {
        out.push({ line, outcome: 'updated', userId: current._id });
        continue;
      }
      try {
        const written = await this.deps.users.update(current._id, current.outboxSeq, plan, plan.events);
        out.push(
          written
            ? { line, outcome: 'updated', userId: current._id }
            : {
                line,
                outcome: 'rejected',
                reason: 'the user changed during the import; import the row again',
                retryable: true,
              },
        );
      } catch (err) {
        out.push(rejected(line, err));
      }
    }
    return out;
  }
}

function markFields(user: User): Omit<Vouch, 'digest' | 'v'> {
  return {
    userId: user._id,
    key: user.externalKey as string,
    status: user.status,
    displayName: user.displayName,
  };
}

function rejected(line: number, err: unknown): RowOutcome {
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
function managerKeyOf(user: ImportedUser, key: string): string | null {
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
