import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import { connectMongo } from '@concierge/kit';
import { dropDatabases, MONGO_BASE } from '../../../../test/testkit';
import { userModel } from './user.model';
import { UserRepository, type User, type UserQuery } from './user.repository';
import { matchesWords, positionOf, queryWords } from './user-listing';

const ORGS = ['org-a', 'org-b', 'org-c'];
const GIVEN = ['Ada', 'Émile', 'grace', 'Li', 'Zoë', "D'Arcy"];
const FAMILY = ['Lovelace', 'Hopper', 'Ünal', 'Li', 'Smith'];
const COUNT = 1_000;

function user(i: number, createdAt: Date): User {
  const given = GIVEN[i % GIVEN.length] as string;
  const family = FAMILY[(i * 7) % FAMILY.length] as string;
  return {
    _id: randomUUID(),
    externalId: null,
    source: null,
    username: `u${i}`,
    email: `${given.toLowerCase().replace(/[^a-z]/g, '')}.${i}@example.org`,
    givenName: given,
    familyName: family,
    displayName: `${given} ${family}`,
    title: null,
    department: null,
    employeeType: i % 4 === 0 ? 'CONTRACTOR' : 'EMPLOYEE',
    organizationId: ORGS[i % ORGS.length] as string,
    managerId: null,
    attributes: {},
    status: i % 5 === 0 ? 'SUSPENDED' : 'ACTIVE',
    startDate: null,
    endDate: null,
    dueAt: null,
    dueAction: null,
    createdAt: new Date(createdAt.getTime() + (i % 7) * 50),
    updatedAt: createdAt,
    outboxSeq: 0,
  };
}

/**
 * The repository's lists against the database infra/ runs, compared with the same query answered
 * by sorting every user in memory: bucket walks, frequent and rare search words, filters, pages.
 */
describe('user lists and searches on the real database', () => {
  const name = `test-listing-${randomUUID().slice(0, 8)}`;
  let db: Connection;
  let repo: UserRepository;
  let all: User[];

  beforeAll(async () => {
    db = await connectMongo(`${MONGO_BASE}/${name}`);
    await userModel(db).init();
    repo = new UserRepository(userModel(db), { frequentTerm: 100 });
    const at = new Date('2026-11-30T10:00:00.000Z');
    all = Array.from({ length: COUNT }, (_, i) => user(i, at));
    await repo.insertMany(all);
  });
  afterAll(async () => {
    await db.close();
    await dropDatabases([name]);
  });

  /** What the query must answer: every user filtered and sorted in memory. */
  const expected = (query: Omit<UserQuery, 'limit' | 'after'>) =>
    all
      .filter((u) => !query.organizationIds || query.organizationIds.includes(u.organizationId))
      .filter((u) => !query.status || query.status.includes(u.status))
      .filter((u) => !query.employeeType || query.employeeType.includes(u.employeeType))
      .filter((u) => !query.words || matchesWords(u, query.words))
      .sort((a, b) => {
        const [x, y] = [positionOf(query.sort, a), positionOf(query.sort, b)];
        return x.key < y.key ? -1 : x.key > y.key ? 1 : x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
      })
      .map((u) => u._id);

  /** Every page of `size` in turn, each starting after the last row of the one before. */
  const pages = async (query: Omit<UserQuery, 'limit' | 'after'>, size: number) => {
    const seen: string[] = [];
    let after: UserQuery['after'];
    for (let guard = 0; guard < 1_000; guard++) {
      const page = await repo.list({ ...query, limit: size, ...(after ? { after } : {}) });
      seen.push(...page.map((u) => u._id));
      if (page.length < size) return seen;
      after = positionOf(query.sort, page[page.length - 1] as User);
    }
    throw new Error('pages did not end');
  };

  it.each<[string, Omit<UserQuery, 'limit' | 'after'>, number]>([
    ['everyone by name', { sort: 'displayName' }, 25],
    ['everyone by e-mail', { sort: 'email' }, 60],
    ['everyone by creation', { sort: 'createdAt' }, 33],
    [
      'two organisations by name, suspended contractors excluded',
      { sort: 'displayName', organizationIds: ['org-a', 'org-c'], status: ['ACTIVE'] },
      17,
    ],
    [
      'one organisation of contractors by creation',
      { sort: 'createdAt', organizationIds: ['org-b'], employeeType: ['CONTRACTOR'] },
      9,
    ],
    ['a frequent word, everyone', { sort: 'displayName', words: queryWords('lovel') }, 11],
    [
      'a frequent word in one organisation, by e-mail',
      { sort: 'email', organizationIds: ['org-a'], words: queryWords('ada') },
      7,
    ],
    ['two words, one of them short and whole', { sort: 'displayName', words: queryWords('li zo') }, 5],
    ['an accent typed without it', { sort: 'displayName', words: queryWords('UNAL emile') }, 4],
  ])('%s: every page together equals the sorted, filtered users', async (_, query, size) => {
    const want = expected(query);
    expect(want.length).toBeGreaterThan(size);
    expect(await pages(query, size)).toEqual(want);
    // Asked again, a frequent word is now walked in name order: the same answer.
    expect(await pages(query, size)).toEqual(want);
  });

  it('when a search word found more users than the mark, then it is remembered as frequent', async () => {
    await repo.list({ sort: 'displayName', words: ['hopper'], limit: 5 });
    const marks = db.collection<{ _id: string }>('user_list_buckets');
    expect(await marks.countDocuments({ _id: 'term|hopper' })).toBe(1);
    expect(await repo.list({ sort: 'displayName', words: ['u917'], limit: 5 })).toHaveLength(1);
    expect(await marks.countDocuments({ _id: 'term|u917' })).toBe(0);
  });

  it('when users are renamed and moved, then their lists follow at once', async () => {
    const [first, second] = all as [User, User];
    const seq = async (id: string) => (await repo.findById(id))?.outboxSeq;
    expect(
      await repo.update(
        first._id,
        await seq(first._id),
        { set: { displayName: 'Aardvark Zz', organizationId: 'org-new' } },
        [],
      ),
    ).toBe(true);
    expect(
      await repo.update(second._id, await seq(second._id), { set: { email: '0-first@example.org' } }, []),
    ).toBe(true);
    first.displayName = 'Aardvark Zz';
    first.organizationId = 'org-new';
    second.email = '0-first@example.org';
    const top = await repo.list({ sort: 'displayName', limit: 1 });
    expect(top.map((u) => u._id)).toEqual([first._id]);
    expect(
      (await repo.list({ sort: 'displayName', organizationIds: ['org-new'], limit: 5 })).map((u) => u._id),
    ).toEqual([first._id]);
    expect((await repo.list({ sort: 'email', limit: 1 })).map((u) => u._id)).toEqual([second._id]);
    expect(await pages({ sort: 'displayName', organizationIds: [ORGS[0] as string] }, 50)).toEqual(
      expected({ sort: 'displayName', organizationIds: [ORGS[0] as string] }),
    );
    expect(await repo.count({ organizationIds: ['org-new'] })).toBe(1);
    expect(await repo.count({ words: queryWords('aardvark') })).toBe(1);
  });
});
