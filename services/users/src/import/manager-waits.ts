import type { Organization } from '../organizations/organization.repository';
import type { User } from '../directory/user.repository';
import type { UsersDeps } from '../directory/deps';
import type { OrgTree } from '../organizations/org-tree';
import { planUpdate } from '../directory/update-user';
import type { ManagerRef } from '../directory/placement';
import {
  rejected,
  type BatchPlan,
  type ManagerLinks,
  type RowOutcome,
  type UpsertOptions,
  type UpsertState,
} from './batch-plan';

/**
 * The users an upsert wrote before their manager existed: each waits (a stored record) until the
 * manager lands, in this upsert or a later one, whatever the order of rows and batches.
 */
export class ManagerWaits {
  /** Waits of a dry run's rows (user key to manager key), which it counts instead of storing. */
  private readonly waitedFor = new Map<string, string>();
  /** The open waits (user key to manager key): read once, then kept up to date by `record`. */
  private stored: Promise<Map<string, string>> | null = null;

  constructor(
    private readonly deps: UsersDeps,
    private readonly tree: OrgTree<Organization>,
    private readonly options: UpsertOptions,
    private readonly state: UpsertState,
  ) {}

  /** Keeps the waits of the rows that landed, and ends the earlier waits of rows that settled them. */
  async record(plan: BatchPlan, outcomes: RowOutcome[]): Promise<void> {
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

  /** The open waits, read once (the collection holds only those) and kept current by `record`. */
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
      const waiting = [...this.waitedFor.entries()].filter(([, m]) => !this.state.planned.has(m)).length;
      return { linked: 0, waiting, refused: [] };
    }
    const waits = await this.deps.users.waitingForManagers();
    if (waits.length === 0) return { linked: 0, waiting: 0, refused: [] };
    const arrived = [...new Set(waits.map((w) => w.managerKey))].filter((k) => this.state.createdKeys.has(k));
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
}
