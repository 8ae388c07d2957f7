import { randomUUID } from 'node:crypto';
import { DueSweeper, every, type ServiceRuntime } from '@concierge/kit';
import { fireGrant } from './grants/grant-changes';
import { fireRequest } from './requests/decide-request';
import type { AccessStores } from './stores';

/**
 * Timers fired at once. A burst of due work (1,000 deadlines in one minute) saturated both cores at
 * 8 and tripled the latency of approvals meanwhile (test/bench/access-requests.bench.ts); 4 leaves
 * room for people.
 */
const SWEEP_CONCURRENCY = 4;

/**
 * The timers that keep approvals moving and grants on their dates: reminders, escalations and
 * final actions of requests; starts, expiry notices and ends of grants. Each store's timers are
 * found by minute (the kit's DueSweeper, a cursor the replicas share, catching up after a
 * restart) and fired under the version claim, so two replicas never fire one twice. Versions a
 * crashed writer left unapplied are healed on the way.
 */
export function startScheduler(runtime: ServiceRuntime, stores: AccessStores, intervalMs: number) {
  const logger = runtime.logger.child({ component: 'scheduler' });
  const requestSweeper = new DueSweeper({ name: 'access-requests.requests', db: runtime.db });
  const grantSweeper = new DueSweeper({ name: 'access-requests.grants', db: runtime.db });
  const system = (component: string) => ({
    contracts: runtime.contracts,
    actor: `system:${component}`,
    correlationId: randomUUID(),
    now: new Date(),
  });
  const loop = every(
    intervalMs,
    async () => {
      const now = new Date();
      const requests = await stores.requests.store.sweepDue(
        now,
        requestSweeper,
        (request, at) =>
          fireRequest(request, { ...stores, ...system('approval-scheduler'), now: at, logger }),
        SWEEP_CONCURRENCY,
      );
      const grants = await stores.grants.store.sweepDue(
        now,
        grantSweeper,
        (grant, at) =>
          fireGrant(grant, { grants: stores.grants, ...system('grant-scheduler'), now: at, logger }),
        SWEEP_CONCURRENCY,
      );
      let healed = 0;
      for (const store of [
        stores.requests.store,
        stores.grants.store,
        stores.applications.store,
        stores.policies.store,
        stores.rules.store,
      ])
        healed += await store.heal(now);
      if (requests + grants + healed > 0) {
        logger.info({ requests, grants, healed }, 'due timers fired');
        runtime.relay.kick();
      }
    },
    logger,
  );
  return loop;
}
