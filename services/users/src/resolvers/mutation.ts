import { policy, type Capability } from '@concierge/kit';
import type { User } from '../data/user.repository';
import { changeStatus } from '../domain/change-status';
import { createUser, type CreateUserInput } from '../domain/create-user';
import type { LifecycleAction } from '../domain/lifecycle';
import {
  createOrganization,
  type CreateOrganizationInput,
} from '../domain/organizations/create-organization';
import { moveOrganization } from '../domain/organizations/move-organization';
import {
  updateOrganization,
  type UpdateOrganizationInput,
} from '../domain/organizations/update-organization';
import { rehireUser } from '../domain/rehire-user';
import { updateUser, type UpdateUserInput } from '../domain/update-user';
import { useCaseDeps, type UsersContext } from '../context';

type GraphAttributes = { name: string; value?: string | null }[] | null | undefined;

/** The graph sends attributes as a list of name/value pairs; the domain takes a map. */
function attributeMap(list: GraphAttributes) {
  return list === undefined
    ? undefined
    : Object.fromEntries((list ?? []).map((a) => [a.name, a.value ?? null]));
}

/** Asks the policy about an existing user (its organisation matters to scoped roles). */
async function requireOnUser(ctx: UsersContext, capability: Capability, id: string): Promise<void> {
  policy.requireUser(ctx.principal);
  const user = await ctx.userById.load(id);
  policy.require(ctx.principal, capability, { userId: id, organizationId: user?.organizationId });
}

/** Runs a write and kicks the outbox relay so its events leave at once. */
async function thenRelay<T>(ctx: UsersContext, write: Promise<T>): Promise<T> {
  const result = await write;
  ctx.runtime.relay.kick();
  return result;
}

function lifecycle(action: LifecycleAction) {
  return async (_: unknown, args: { id: string }, ctx: UsersContext): Promise<User> => {
    await requireOnUser(ctx, 'user:lifecycle', args.id);
    return thenRelay(ctx, changeStatus(args.id, action, useCaseDeps(ctx)));
  };
}

export const Mutation = {
  createUser: async (
    _: unknown,
    args: { input: Omit<CreateUserInput, 'attributes'> & { attributes?: GraphAttributes } },
    ctx: UsersContext,
  ) => {
    policy.require(ctx.principal, 'user:create', { organizationId: args.input.organizationId });
    const input = { ...args.input, attributes: attributeMap(args.input.attributes) };
    return thenRelay(ctx, createUser(input, useCaseDeps(ctx)));
  },
  updateUser: async (
    _: unknown,
    args: { id: string; input: Omit<UpdateUserInput, 'attributes'> & { attributes?: GraphAttributes } },
    ctx: UsersContext,
  ) => {
    await requireOnUser(ctx, 'user:update', args.id);
    if (args.input.organizationId) {
      // Moving a user needs the right in the destination too.
      policy.require(ctx.principal, 'user:update', {
        userId: args.id,
        organizationId: args.input.organizationId,
      });
    }
    const input = { ...args.input, attributes: attributeMap(args.input.attributes) };
    return thenRelay(ctx, updateUser(args.id, input, useCaseDeps(ctx)));
  },
  activateUser: lifecycle('ACTIVATE'),
  suspendUser: lifecycle('SUSPEND'),
  terminateUser: lifecycle('TERMINATE'),
  rehireUser: async (
    _: unknown,
    args: { id: string; startDate: string; endDate?: string | null },
    ctx: UsersContext,
  ) => {
    await requireOnUser(ctx, 'user:lifecycle', args.id);
    return thenRelay(ctx, rehireUser(args.id, args, useCaseDeps(ctx)));
  },
  createOrganization: async (_: unknown, args: { input: CreateOrganizationInput }, ctx: UsersContext) => {
    policy.require(ctx.principal, 'organization:write', { organizationId: args.input.parentId ?? undefined });
    return thenRelay(ctx, createOrganization(args.input, useCaseDeps(ctx)));
  },
  updateOrganization: async (
    _: unknown,
    args: { id: string; input: UpdateOrganizationInput },
    ctx: UsersContext,
  ) => {
    policy.require(ctx.principal, 'organization:write', { organizationId: args.id });
    return thenRelay(ctx, updateOrganization(args.id, args.input, useCaseDeps(ctx)));
  },
  moveOrganization: async (_: unknown, args: { id: string; parentId?: string | null }, ctx: UsersContext) => {
    policy.require(ctx.principal, 'organization:write', { organizationId: args.id });
    return thenRelay(ctx, moveOrganization(args.id, args.parentId ?? null, useCaseDeps(ctx)));
  },
};
