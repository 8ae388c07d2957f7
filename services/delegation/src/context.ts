import { createGroupLoader, createLoader, type RequestContext, type ServiceRuntime } from '@concierge/kit';
import type { AdminRolesContext } from './admin-roles/context';
import type { ApiTokensContext } from './api-tokens/context';
import type { DeputiesContext } from './deputies/context';
import type { DelegationStores } from './stores';

/** The whole request context: what each component's resolvers need. */
export type DelegationContext = DeputiesContext & AdminRolesContext & ApiTokensContext;

/** Per-request context: the process's stores and fresh DataLoaders. */
export function createContext(
  base: RequestContext,
  runtime: ServiceRuntime,
  stores: DelegationStores,
): DelegationContext {
  const { directory, delegations, tokens } = stores;
  return {
    ...base,
    runtime,
    ...stores,
    directoryUserById: createLoader(
      (ids) => directory.findByIds(ids),
      (u) => u._id,
    ),
    delegationById: createLoader(
      (ids) => delegations.findByIds(ids),
      (d) => d._id,
    ),
    delegationsGiven: createGroupLoader(
      (ids) => delegations.givenByAny(ids),
      (d) => d.delegatorId,
    ),
    tokenUsage: createLoader(
      (ids) => tokens.usageOf(ids),
      (u) => u._id,
    ),
    delegationsReceived: createGroupLoader(
      (ids) => delegations.receivedByAny(ids),
      (d) => d.deputyId,
    ),
  };
}
