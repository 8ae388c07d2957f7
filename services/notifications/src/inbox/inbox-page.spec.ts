import { encodeCursor, inboxPage, inboxPageQuery, latest } from './inbox-page';
import type { Notification } from './notification.repository';

function note(id: string, minute: number, read = false): Notification {
  return {
    _id: id,
    userId: 'u1',
    kind: 'GRANT_EXPIRING',
    title: id,
    body: id,
    sourceEventId: id,
    createdAt: new Date(Date.UTC(2027, 0, 1, 8, minute)),
    readAt: read ? new Date(Date.UTC(2027, 0, 2)) : null,
  };
}

// Given in no order, with two at the same instant (ids break the tie, descending).
const inbox = [
  note('c', 3),
  note('a', 1, true),
  note('e', 5),
  note('d2', 4),
  note('d1', 4, true),
  note('b', 2),
];
const ids = (page: ReturnType<typeof inboxPage>) => page.edges.map((e) => e.node._id);

describe('a page of the inbox', () => {
  it('when pages follow their cursors, then every notification shows once, newest first', () => {
    const first = inboxPage(inbox, inboxPageQuery({ first: 2 }));
    expect(ids(first)).toEqual(['e', 'd2']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = inboxPage(inbox, inboxPageQuery({ first: 2, after: first.pageInfo.endCursor }));
    expect(ids(second)).toEqual(['d1', 'c']);
    const third = inboxPage(inbox, inboxPageQuery({ first: 2, after: second.pageInfo.endCursor }));
    expect(ids(third)).toEqual(['b', 'a']);
    expect(third.pageInfo).toEqual({ hasNextPage: false, endCursor: encodeCursor(note('a', 1)) });
    expect(first.unreadCount).toBe(4);
  });

  it('when only unread ones are asked for, then read ones are left out but the unread count is the whole inbox', () => {
    const page = inboxPage(inbox, inboxPageQuery({ first: 10, unreadOnly: true }));
    expect(ids(page)).toEqual(['e', 'd2', 'c', 'b']);
    expect(page.unreadCount).toBe(4);
  });

  it('when a notification arrives between two pages, then the next page neither repeats nor skips one', () => {
    const first = inboxPage(inbox, inboxPageQuery({ first: 3 }));
    const grown = [...inbox, note('f', 9)];
    const next = inboxPage(grown, inboxPageQuery({ first: 3, after: first.pageInfo.endCursor }));
    expect(ids(next)).toEqual(['c', 'b', 'a']);
  });

  it('when the page size is out of 1..100 or the cursor is not one of ours, then the input is refused naming the argument', () => {
    for (const first of [0, 101, -1]) {
      expect(() => inboxPageQuery({ first })).toThrow(
        expect.objectContaining({
          extensions: { code: 'BAD_USER_INPUT', field: 'first', reason: 'PAGE.BAD_SIZE' },
        }),
      );
    }
    const forged = Buffer.from(JSON.stringify({ id: 'x' })).toString('base64url');
    for (const after of ['not a cursor', forged, Buffer.from('["nope","x"]').toString('base64url')]) {
      expect(() => inboxPageQuery({ after })).toThrow(
        expect.objectContaining({
          extensions: { code: 'BAD_USER_INPUT', field: 'after', reason: 'PAGE.BAD_CURSOR' },
        }),
      );
    }
    expect(inboxPageQuery({ first: null, unreadOnly: null })).toEqual({
      first: 20,
      after: null,
      unreadOnly: false,
    });
  });

  it('when the latest few of several users inboxes are asked for, then they come newest first', () => {
    expect(latest(inbox, 3).map((n) => n._id)).toEqual(['e', 'd2', 'd1']);
  });
});
