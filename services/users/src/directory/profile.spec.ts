import { externalKeyOf, normalizeProfile } from './profile';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { extensions?: { field?: string } }).extensions?.field;
  }
  return undefined;
}

describe('user profile', () => {
  it('normalises e-mail and username to one lower-case spelling, the username defaulting to the e-mail', () => {
    const p = normalizeProfile({
      email: '  Ada.Lovelace@Example.COM ',
      givenName: 'Ada',
      familyName: 'Lovelace',
    });
    expect(p.email).toBe('ada.lovelace@example.com');
    expect(p.username).toBe('ada.lovelace@example.com');
    expect(p.displayName).toBe('Ada Lovelace');
    expect(p.employeeType).toBe('EMPLOYEE');
    expect(normalizeProfile({ email: 'a@b.io', username: 'ＡＤＡ', displayName: 'A' }).username).toBe('ada');
  });

  it('names the field at fault', () => {
    expect(fieldOf(() => normalizeProfile({ email: 'not-an-address', displayName: 'x' }))).toBe('email');
    expect(fieldOf(() => normalizeProfile({ email: 'a@b.io' }))).toBe('displayName');
    expect(
      fieldOf(() => normalizeProfile({ email: 'a@b.io', displayName: 'x', username: 'has space' })),
    ).toBe('username');
    expect(
      fieldOf(() => normalizeProfile({ email: 'a@b.io', displayName: 'x', employeeType: 'intern' })),
    ).toBe('employeeType');
    expect(fieldOf(() => normalizeProfile({ email: 'a@b.io', displayName: 'x'.repeat(201) }))).toBe(
      'displayName',
    );
  });

  it('refuses a username that is another e-mail address, so no address can sign in to another account', () => {
    const reasonOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return (err as { extensions?: { field?: string; reason?: string } }).extensions;
      }
      return undefined;
    };
    expect(
      reasonOf(() =>
        normalizeProfile({ email: 'mallory@example.org', displayName: 'M', username: 'ceo@example.org' }),
      ),
    ).toMatchObject({ field: 'username', reason: 'USER.USERNAME_IS_OTHER_EMAIL' });
    // Its own address is fine (that is the default), and so is any username without an @.
    expect(
      normalizeProfile({ email: 'ceo@example.org', displayName: 'C', username: 'CEO@example.org' }).username,
    ).toBe('ceo@example.org');
    expect(normalizeProfile({ email: 'ceo@example.org', displayName: 'C', username: 'ceo' }).username).toBe(
      'ceo',
    );
    // An update that moves a stored username of another address is refused too.
    const stored = normalizeProfile({ email: 'mallory@example.org', displayName: 'M', username: 'mallory' });
    expect(reasonOf(() => normalizeProfile({ username: 'ceo@example.org' }, stored))).toMatchObject({
      reason: 'USER.USERNAME_IS_OTHER_EMAIL',
    });
  });

  it('moves a username that was the e-mail address along with a new address', () => {
    const stored = normalizeProfile({ email: 'ada@old.example', displayName: 'Ada' });
    expect(stored.username).toBe('ada@old.example');
    const moved = normalizeProfile({ email: 'ada@new.example' }, stored);
    expect(moved).toMatchObject({ email: 'ada@new.example', username: 'ada@new.example' });
    const chosen = normalizeProfile({ email: 'ada@new.example' }, { ...stored, username: 'ada' });
    expect(chosen.username).toBe('ada');
  });

  it('keeps stored values for fields an update leaves out', () => {
    const base = normalizeProfile({
      email: 'a@b.io',
      displayName: 'A',
      title: 'Engineer',
      employeeType: 'contractor',
    });
    const updated = normalizeProfile({ title: 'Lead' }, base);
    expect(updated).toEqual({ ...base, title: 'Lead' });
    expect(normalizeProfile({ title: null }, base).title).toBeNull();
  });

  it('keys an external id by its source system', () => {
    const p = normalizeProfile({ email: 'a@b.io', displayName: 'A', externalId: 'E1' });
    expect(externalKeyOf(p)).toBe('default:E1');
    expect(
      externalKeyOf(
        normalizeProfile({ email: 'a@b.io', displayName: 'A', externalId: 'E1', source: 'Workday' }),
      ),
    ).toBe('workday:E1');
    expect(externalKeyOf(normalizeProfile({ email: 'a@b.io', displayName: 'A' }))).toBeUndefined();
  });
});
