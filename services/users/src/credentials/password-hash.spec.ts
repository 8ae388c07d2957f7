import { hashPassword, verifyAgainstDummy, verifyPassword } from './password-hash';

describe('password hash', () => {
  let hashed: string;
  beforeAll(async () => {
    hashed = await hashPassword('correct horse battery staple');
  });

  it('uses argon2id with the OWASP parameters m=19456, t=2, p=1', () => {
    expect(hashed).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('correct horse battery staple')).not.toBe(hashed);
  });

  it('verifies the right password', async () => {
    await expect(verifyPassword(hashed, 'correct horse battery staple')).resolves.toBe(true);
  });

  it('rejects a wrong password', async () => {
    await expect(verifyPassword(hashed, 'Correct horse battery staple')).resolves.toBe(false);
  });

  it.each(['', 'not a hash', '$argon2id$v=19$m=19456,t=2,p=1$broken', '$2b$10$abcdefghijklmnopqrstuv'])(
    'gives false instead of throwing for the malformed hash %j',
    async (malformed) => {
      await expect(verifyPassword(malformed, 'anything at all')).resolves.toBe(false);
    },
  );

  it('verifies against a dummy hash and always says no', async () => {
    await expect(verifyAgainstDummy('correct horse battery staple')).resolves.toBe(false);
    await expect(verifyAgainstDummy('')).resolves.toBe(false);
  });
});
