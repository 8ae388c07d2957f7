import type { Organization } from '../organizations/organization.repository';
import type { CredentialEffects } from '../directory/credential-effects';
import type { UsersDeps } from '../directory/deps';
import type { OrgTree } from '../organizations/org-tree';
import {
  newUpsertState,
  type BatchPlan,
  type ManagerLinks,
  type Row,
  type RowOutcome,
  type UpsertOptions,
} from './batch-plan';
import { BatchPlanner } from './batch-planner';
import { BatchWriter } from './batch-writer';
import { ManagerWaits } from './manager-waits';

export {
  managersFirst,
  type BatchPlan,
  type ManagerLinks,
  type RowOutcome,
  type UpsertOptions,
} from './batch-plan';

/**
 * The one upsert behind the import command, the import-job API and the HR feed: records keyed by
 * source and external id are created when new, updated when different, and left alone (no write,
 * no event) when unchanged. Each batch costs a constant number of round trips: at most one read of
 * the existing users by external key and one of managers outside the batch (none for new users
 * when a `KnownUsers` index vouches for them), then the new users' events staged in the creation
 * outbox, one unordered insertMany of the users and the outbox's confirmation. A changed user is
 * one compare-and-set write of its own, so that each row learns whether it landed.
 *
 * It pipelines: batch k+1 is planned (BatchPlanner) while batch k is written (BatchWriter), and
 * the users written before their manager wait for them (ManagerWaits).
 */
export class UserUpsert {
  private readonly state = newUpsertState();
  private readonly planner: BatchPlanner;
  private readonly waits: ManagerWaits;
  private readonly writer: BatchWriter;
  private committing: Promise<unknown> = Promise.resolve();
  private readonly discarded = new WeakSet<BatchPlan>();

  constructor(
    /** With credential effects, users created ACTIVE get their set-password link as on any activation. */
    deps: UsersDeps & { credentialEffects?: CredentialEffects },
    tree: OrgTree<Organization>,
    private readonly options: UpsertOptions,
  ) {
    this.planner = new BatchPlanner(deps, tree, options, this.state);
    this.waits = new ManagerWaits(deps, tree, options, this.state);
    this.writer = new BatchWriter(deps, options, this.state, this.waits);
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
   * Checks a batch and prepares its writes, without writing (BatchPlanner); null when the batch
   * must wait for the commit in flight.
   */
  plan(rows: Row[]): Promise<BatchPlan | null> {
    return this.planner.plan(rows);
  }

  /** Whether a plan counted on managers that the commit before it failed to create. */
  isStale(plan: BatchPlan): boolean {
    for (const id of plan.borrowed.values()) if (this.state.notLanded.has(id)) return true;
    return false;
  }

  /** Writes a planned batch: one commit at a time, in the order of their plans. */
  async commit(plan: BatchPlan): Promise<RowOutcome[]> {
    const work = this.writer.write(plan);
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
      if (this.state.unwritten.get(key) === doc) this.state.unwritten.delete(key);
    }
    if (plan.updates.length > 0 && !this.options.dryRun) this.state.unwrittenUpdates--;
  }

  /**
   * Sets the manager of every user that waits for one this upsert created (ManagerWaits), once the
   * commit in flight is done. Called after the last batch of an import or a feed record.
   */
  async finish(): Promise<ManagerLinks> {
    await this.committing.catch(() => undefined);
    return this.waits.finish();
  }
}
