import { correlationIdOf } from './correlation';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('correlationIdOf', () => {
  it.each(['0b6c3f0e-6a4e-4b8e-9d53-2f1f5c1e7a10', 'hris-change-000123', 'abc.DEF_9', 'a'.repeat(64)])(
    'keeps the well-formed id %s',
    (id) => {
      expect(correlationIdOf(id)).toBe(id);
    },
  );

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['too short', 'abc1234'],
    ['too long', 'a'.repeat(65)],
    ['with a space', 'abc 12345'],
    ['with a newline', 'abcdefgh\nforged log line'],
    ['with a quote', 'abcdefgh"'],
  ])('replaces an id that is %s with a new UUID', (_, id) => {
    const made = correlationIdOf(id);
    expect(made).toMatch(UUID);
    expect(made).not.toBe(id);
  });
});
