import type { DirectoryUser } from './directory.repository';
import { managerChain } from './manager-chain';

const user = (id: string, managerId: string | null): DirectoryUser => ({
  _id: id,
  managerId,
  status: 'ACTIVE',
  displayName: id,
  organizationId: 'org',
  updatedAt: new Date(),
});

function finder(users: DirectoryUser[]) {
  const byId = new Map(users.map((u) => [u._id, u]));
  return async (id: string) => byId.get(id) ?? null;
}

describe('manager chain from the projection', () => {
  it('lists the managers above a user, nearest first, up to the top', async () => {
    const find = finder([user('ada', 'mia'), user('mia', 'ceo'), user('ceo', null)]);
    expect(await managerChain('ada', find)).toEqual(['mia', 'ceo']);
  });

  it('stops at a manager the projection does not know, keeping that id', async () => {
    const find = finder([user('ada', 'mia')]);
    expect(await managerChain('ada', find)).toEqual(['mia']);
  });

  it('is empty for an unknown user, and stops at a loop in the data', async () => {
    expect(await managerChain('nobody', finder([]))).toEqual([]);
    const find = finder([user('ada', 'mia'), user('mia', 'bob'), user('bob', 'ada')]);
    expect(await managerChain('ada', find)).toEqual(['mia', 'bob']);
  });
});
