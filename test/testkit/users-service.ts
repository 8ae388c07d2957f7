import { MongoClient, type Db } from 'mongodb';
import type { RunningService } from '@concierge/kit';
import { startServer } from '@concierge/users';
import { MONGO_BASE, startAtEnd, usersConfig } from './index';

export interface UsersServiceFixture {
  readonly config: ReturnType<typeof usersConfig>;
  readonly dbName: string;
  /** The running service (from the fixture's beforeAll on). */
  service(): RunningService;
  /** Its GraphQL endpoint. */
  url(): string;
  /** Its database, through the test file's own client (for what the graph does not show). */
  db(): Db;
}

function started<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the users service fixture is used before its beforeAll ran');
  return value;
}

/**
 * A users service for one test file, against the real database and broker: a fresh database and
 * consumer group (its offsets at the end of `topics`, default every topic, so it sees only this
 * file's messages), started in beforeAll; stopped, its database dropped, in afterAll. Call it in
 * the describe block, before the file's own hooks.
 */
export function usersService(
  overrides: Parameters<typeof usersConfig>[0] = {},
  options: { topics?: string[] } = {},
): UsersServiceFixture {
  const config = usersConfig(overrides);
  const dbName = new URL(config.mongoUri).pathname.slice(1);
  let service: RunningService | undefined;
  let mongo: MongoClient | undefined;
  beforeAll(async () => {
    await startAtEnd(config.groupId as string, options.topics);
    service = await startServer(config);
    mongo = await new MongoClient(MONGO_BASE).connect();
  });
  afterAll(async () => {
    await service?.stop();
    await mongo?.db(dbName).dropDatabase();
    await mongo?.close();
  });
  return {
    config,
    dbName,
    service: () => started(service),
    url: () => started(service).url,
    db: () => started(mongo).db(dbName),
  };
}
