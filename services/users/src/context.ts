import type DataLoader from 'dataloader';
import { createLoader, type RequestContext, type ServiceRuntime } from '@concierge/kit';
import { userModel } from './data/user.model';
import { UserRepository, type User } from './data/user.repository';

export interface UsersContext extends RequestContext {
  users: UserRepository;
  userById: DataLoader<string, User | null>;
  runtime: ServiceRuntime;
}

/** Per-request context: repositories and fresh DataLoaders. */
export function createContext(base: RequestContext, runtime: ServiceRuntime): UsersContext {
  const users = new UserRepository(userModel(runtime.db));
  return {
    ...base,
    runtime,
    users,
    userById: createLoader(
      (ids) => users.findByIds(ids),
      (u) => u._id,
    ),
  };
}
