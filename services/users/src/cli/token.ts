/**
 * Mints an access token for an existing, active user from the signing key in the users database:
 * the way to a first administrator's token before anyone has signed in. The token carries only
 * roles the user holds, and the mint is audited.
 *   npm run --silent token -w @concierge/users -- (--user <id> | --email <address>) [--role admin]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { connectMongo, EventContracts } from '@concierge/kit';
import { loadSigningKeyConfig, loadTokenConfig } from '../config';
import { mintOperatorToken } from '../credentials/operator-token';
import { accessTokenSigner } from '../credentials/runtime';
import { createStores } from '../stores';
import { runCommand } from './run-command';

const USAGE =
  'usage: npm run --silent token -w @concierge/users -- (--user <id> | --email <address>) [--role <role>]...';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      user: { type: 'string' },
      email: { type: 'string' },
      role: { type: 'string', multiple: true, default: [] },
    },
  });
  if (!values.user === !values.email) {
    process.stderr.write(`${USAGE}\n`);
    return 1;
  }
  const config = loadTokenConfig();
  const { sealKey } = loadSigningKeyConfig();
  const db = await connectMongo(config.mongoUri);
  try {
    const stores = createStores(db, { sealKey });
    const minted = await mintOperatorToken(
      { userId: values.user, email: values.email, roles: values.role },
      {
        users: stores.users,
        ...stores.credentials,
        contracts: new EventContracts(),
        signAccessToken: accessTokenSigner(stores.keys, {
          issuer: config.tokenIssuer,
          ttlS: config.accessTokenTtlS,
        }),
        actor: 'system:token-command',
        correlationId: randomUUID(),
      },
    );
    process.stdout.write(`${minted.token}\n`);
    return 0;
  } finally {
    await db.close();
  }
}

runCommand(main);
