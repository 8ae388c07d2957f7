import type { User } from '../directory/user.repository';
import { directoryDeps, requireOnUser, type DirectoryContext } from '../directory/resolvers';
import { changeStatus } from './change-status';
import type { LifecycleAction } from '../directory/user-lifecycle';
import { rehireUser } from './rehire-user';

function transition(action: LifecycleAction) {
  return async (_: unknown, args: { id: string }, ctx: DirectoryContext): Promise<User> => {
    await requireOnUser(ctx, 'user:lifecycle', args.id);
    return changeStatus(args.id, action, directoryDeps(ctx));
  };
}

export const lifecycleMutations = {
  activateUser: transition('ACTIVATE'),
  suspendUser: transition('SUSPEND'),
  terminateUser: transition('TERMINATE'),
  rehireUser: async (
    _: unknown,
    args: { id: string; startDate: string; endDate?: string | null },
    ctx: DirectoryContext,
  ) => {
    await requireOnUser(ctx, 'user:lifecycle', args.id);
    return rehireUser(args.id, args, directoryDeps(ctx));
  },
};
