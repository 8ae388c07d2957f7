/**
 * Mints an access token for a user from the signing key in the users database: the bootstrap
 * path to a first administrator's token before sign-in exists.
 *   npm run token -- --user <id> [--role admin]
 */
import { parseArgs } from 'node:util';
import { connectMongo } from '@concierge/kit';
import { issueAccessToken } from '../credentials/signing-keys';
import { createStores } from '../stores';
import { loadTokenConfig } from '../config';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { user: { type: 'string' }, role: { type: 'string', multiple: true, default: [] } },
  });
  if (!values.user) throw new Error('--user <id> is required');
  const config = loadTokenConfig();
  const db = await connectMongo(config.mongoUri);
  try {
    const token = await issueAccessToken(
      createStores(db).keys,
      { userId: values.user, roles: values.role ?? [] },
      { issuer: config.tokenIssuer, ttlS: config.accessTokenTtlS },
    );
    process.stdout.write(`${token}\n`);
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
