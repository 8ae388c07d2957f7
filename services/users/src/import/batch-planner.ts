import { createHash } from 'node:crypto';
import { yieldToEventLoop } from '@concierge/kit';
import type { Organization } from '../organizations/organization.repository';
import type { User } from '../directory/user.repository';
import { prepareUser } from '../directory/create-user';
import type { CredentialEffects } from '../directory/credential-effects';
import type { UsersDeps } from '../directory/deps';
import type { OrgTree } from '../organizations/org-tree';
import { externalKeyOf, normalizeProfile } from '../directory/profile';
import { planUpdate } from '../directory/update-user';
import type { ManagerRef } from '../directory/placement';
import {
  managerKeyOf,
  managersFirst,
  rejected,
  stage,
  type BatchPlan,
  type Checked,
  type Insert,
  type Known,
  type Row,
  type RowOutcome,
  type Update,
  type UpsertOptions,
  type UpsertState,
  type Wait,
} from './batch-plan';
import { mapRecord, RowError, type ImportedUser } from './map-record';

/** Rows planned between two turns of the event loop. */
const YIELD_EVERY = 100;

/**
 * Plans a batch of the upsert: maps and checks its rows, reads what it must of the store (at most
 * the existing users by external key and the managers outside the batch), and prepares each new
 * user and each change, without writing anything but the staged events and tokens.
 */
export class BatchPlanner {
  private readonly codes = new Map<string, string>();

  constructor(
    private readonly deps: UsersDeps & { credentialEffects?: CredentialEffects },
    private readonly tree: OrgTree<Organization>,
    private readonly options: UpsertOptions,
    private readonly state: UpsertState,
  ) {}

  private organizationIdOf(code: string | null): string | null {
    if (code === null) return null;
    if (this.codes.size === 0) {
      for (const org of this.tree.all()) this.codes.set(org.code, org._id);
    }
    const id = this.codes.get(code);
    if (!id) throw new RowError(`organisation ${code.slice(0, 40)} does not exist`, 'organization');
    return id;
  }

  /**
   * Checks a batch and prepares its writes, without writing: an import plans batch k+1 while batch
   * k is being committed, so that the database and the process work at the same time. Returns null
   * when the batch must wait for the commit in flight: it names a user that commit creates or
   * changes, or that commit changes users (whose reads would then be stale).
   */
  async plan(rows: Row[]): Promise<BatchPlan | null> {
    if (this.state.unwrittenUpdates > 0) return null;
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
    if (mapped.some((m) => this.state.unwritten.has(m.key))) return null;

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
      const planned = this.state.planned.get(key);
      if (planned) byKey.set(key, planned);
      const unwritten = this.state.unwritten.get(key);
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
      for (const { doc } of inserts) this.state.planned.set(doc.externalKey as string, doc);
      for (const { current, plan } of updates)
        this.state.planned.set(current.externalKey as string, { ...current, ...plan.set });
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
        ? await this.deps.users
            .creations()
            .prepare(inserts.map((r) => ({ documentId: r.doc._id, events: r.events })))
        : null;
    const staging = events ? stage(this.deps.users.creations(), events, links) : null;
    for (const { doc } of inserts) this.state.unwritten.set(doc.externalKey as string, doc);
    if (updates.length > 0) this.state.unwrittenUpdates++;
    return { outcomes, inserts, updates, links, staging, borrowed, waits, settled, checked };
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
}
