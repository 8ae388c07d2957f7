import { BadInputError } from '@concierge/kit';
import { checkPassword, MIN_PASSWORD_LENGTH } from './password-policy';

const who = { username: 'jdoe42', email: 'Jane.Doe@example.com' };

/** The error `checkPassword` throws, or undefined when the password is accepted. */
function refusal(password: string, person: Parameters<typeof checkPassword>[1] = who) {
  try {
    checkPassword(password, person);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(BadInputError);
    return err as BadInputError;
  }
}

describe('password policy', () => {
  it('accepts a long, uncommon password unrelated to the person', () => {
    expect(refusal('correct horse battery staple')).toBeUndefined();
  });

  it('requires at least 12 characters', () => {
    expect(MIN_PASSWORD_LENGTH).toBe(12);
    const err = refusal('Xq7#vL2!pR9');
    expect(err?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'password',
      reason: 'PASSWORD.TOO_SHORT',
    });
    expect(err?.message).toMatch(/at least 12 characters/);
    expect(refusal('Xq7#vL2!pR9w')).toBeUndefined();
  });

  it('counts characters, not UTF-16 units', () => {
    const sixEmoji = '🔒🔑🗝🛡🚪🧱';
    expect(sixEmoji).toHaveLength(12);
    expect(refusal(sixEmoji)?.extensions.reason).toBe('PASSWORD.TOO_SHORT');
    expect(refusal(sixEmoji.repeat(2))).toBeUndefined();
  });

  it('refuses more than 256 characters', () => {
    expect(refusal('a1B!'.repeat(64))).toBeUndefined();
    expect(refusal(`${'a1B!'.repeat(64)}x`)?.extensions.reason).toBe('PASSWORD.TOO_LONG');
    expect(refusal('🔒'.repeat(257))?.extensions.reason).toBe('PASSWORD.TOO_LONG');
    expect(refusal('x'.repeat(1_000_000))?.extensions.reason).toBe('PASSWORD.TOO_LONG');
  });

  it('refuses a common password whatever its case', () => {
    expect(refusal('qwerty123456')?.extensions.reason).toBe('PASSWORD.COMMON');
    expect(refusal('QWERTY123456')?.extensions.reason).toBe('PASSWORD.COMMON');
    expect(refusal('1q2w3e4r5t6y')?.message).toMatch(/commonly used/);
  });

  it('refuses a password containing the username, whatever its case', () => {
    expect(refusal('my-JDOE42-is-secret')?.extensions.reason).toBe('PASSWORD.CONTAINS_IDENTITY');
  });

  it('refuses a password containing the e-mail local part or the whole e-mail', () => {
    expect(refusal('hello jane.doe friend')?.extensions.reason).toBe('PASSWORD.CONTAINS_IDENTITY');
    expect(refusal('jane.doe@example.com')?.extensions.reason).toBe('PASSWORD.CONTAINS_IDENTITY');
  });

  it('works without a username', () => {
    expect(refusal('jdoe42 is my name', { email: 'jane.doe@example.com', username: null })).toBeUndefined();
    expect(refusal('hello jane.doe friend', { email: 'jane.doe@example.com' })?.extensions.reason).toBe(
      'PASSWORD.CONTAINS_IDENTITY',
    );
  });

  it('ignores identity parts shorter than 3 characters', () => {
    expect(refusal('jo jo jo ab ab ab', { username: 'ab', email: 'jo@example.com' })).toBeUndefined();
  });

  it.each([
    ['too short', 'Sh0rt!pw'],
    ['too long', 'L0ng!'.repeat(60)],
    ['common', 'qwerty123456'],
    ['containing the username', 'my-jdoe42-is-secret'],
  ])('never repeats the password in its message when %s', (_rule, password) => {
    const err = refusal(password);
    expect(err).toBeDefined();
    expect(err?.message.toLowerCase()).not.toContain(password.toLowerCase());
    expect(JSON.stringify(err?.extensions).toLowerCase()).not.toContain(password.toLowerCase());
  });
});
