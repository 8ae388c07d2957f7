import { policy } from '@concierge/kit';
import { managerChain } from '../directory/manager-chain';
import type { Delegation } from './delegation';
import type { DeputiesContext } from './context';

/** The policy's resource for acting on a user's deputies: the user and the managers above them. */
async function onDeputiesOf(ctx: DeputiesContext, userId: string) {
  return { userId, managerIds: await managerChain(userId, (id) => ctx.directoryUserById.load(id)) };
}

/** Throws unless the caller may manage (and see) `userId`'s delegations: themselves, a line manager above them, an administrator. */
export async function requireManage(ctx: DeputiesContext, userId: string): Promise<void> {
  policy.requireUser(ctx.principal);
  policy.require(ctx.principal, 'delegation:manage', await onDeputiesOf(ctx, userId));
}

/** Whether the caller may manage (and see) `userId`'s delegations. */
export async function mayManageDeputiesOf(ctx: DeputiesContext, userId: string): Promise<boolean> {
  return policy.can(ctx.principal, 'delegation:manage', await onDeputiesOf(ctx, userId));
}

/** Whether the caller may manage the delegator's delegations. */
async function mayManage(ctx: DeputiesContext, d: Delegation): Promise<boolean> {
  return policy.can(ctx.principal, 'delegation:manage', await onDeputiesOf(ctx, d.delegatorId));
}

/** Whether the caller may end `d`: whoever manages the delegator's delegations, or its deputy (declining). */
export async function mayEnd(ctx: DeputiesContext, d: Delegation): Promise<boolean> {
  return ctx.principal.userId === d.deputyId || mayManage(ctx, d);
}

/** Whether the caller may see `d`: the same people who may end it. */
export const maySee = mayEnd;
