import { isDuplicateKey, writeErrorIndexes } from '@concierge/kit';
import { markFieldsOf, type Vouch } from '../directory/import-marks';
import type { UsersDeps } from '../directory/deps';
import type { User } from '../directory/user.repository';
import {
  rejected,
  stage,
  type BatchPlan,
  type Insert,
  type RowOutcome,
  type Update,
  type UpsertOptions,
  type UpsertState,
} from './batch-plan';
import type { KnownUsers } from './known-users';
import type { ManagerWaits } from './manager-waits';

/**
 * Writes a planned batch of the upsert: one unordered insertMany of the new users (their events
 * confirmed in the creation outbox, or sent by the import), one compare-and-set per changed user,
 * then what the import's index and marks learn, and the rows' manager waits.
 */
export class BatchWriter {
  constructor(
    private readonly deps: UsersDeps,
    private readonly options: UpsertOptions,
    private readonly state: UpsertState,
    private readonly waits: ManagerWaits,
  ) {}

  async write(plan: BatchPlan): Promise<RowOutcome[]> {
    const { inserts, updates } = plan;
    const written = [...(await this.insert(plan)), ...(await this.update(updates))];
    const known = this.options.known;
    if (known && !this.options.dryRun) {
      await this.learn(known, inserts, written);
      await this.vouch(known, plan, written.slice(inserts.length));
    }
    this.state.notLanded = new Set(
      inserts.filter((_, i) => written[i]?.outcome !== 'created').map((r) => r.doc._id),
    );
    for (const [i, r] of inserts.entries()) {
      if (written[i]?.outcome === 'created') this.state.createdKeys.add(r.doc.externalKey as string);
    }
    const outcomes = [...plan.outcomes, ...written].sort((a, b) => a.line - b.line);
    await this.waits.record(plan, outcomes);
    return outcomes;
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
      marks.push({ ...markFieldsOf(current), digest, v: known.versionOf(key) });
    }
    for (const [i, { current, plan: change, digest }] of plan.updates.entries()) {
      const key = current.externalKey as string;
      // The update marked the user stale first: one write more than the mark had when read.
      const v = (known.versionOf(key) ?? 0) + 1;
      known.suspect(key);
      known.forget(key);
      if (digest && updated[i]?.outcome === 'updated') {
        marks.push({ ...markFieldsOf({ ...current, ...change.set } as User), digest, v });
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
    const creations = this.deps.users.creations();
    const batch = await (plan.staging ?? stage(creations, await creations.prepare([]), null));
    let failed = new Set<number>();
    try {
      const digests = new Map<string, string>();
      for (const r of rows) if (r.digest) digests.set(r.doc._id, r.digest);
      await this.deps.users.insertMany(
        rows.map((r) => r.doc),
        digests,
      );
    } catch (err) {
      failed = writeErrorIndexes(err) ?? new Set<number>();
      if (!isDuplicateKey(err) && failed.size === 0) throw err;
    }
    const notLanded = rows.filter((_, i) => failed.has(i)).map((r) => r.doc._id);
    if (this.options.sender) {
      const events = rows.filter((_, i) => !failed.has(i)).flatMap((r) => r.events);
      this.options.sender.send(batch, notLanded, events);
    } else {
      await creations.settle(batch, notLanded);
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
