/**
 * Creates or promotes a global administrator and prints a one-time set-password token, once, on
 * stdout (everything else goes to stderr):
 *   npm run --silent bootstrap-admin -w @concierge/users -- --email E [--name N] [--org CODE] [--reset]
 * The events it writes (user.created, ...) wait in the outbox until the users service publishes them.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { connectMongo, EventContracts } from '@concierge/kit';
import { loadBootstrapConfig } from '../config';
import { initCredentialModels } from '../credentials/credential.repository';
import { organizationModel } from '../organizations/organization.model';
import { userModel } from '../directory/user.model';
import { createStores } from '../stores';
import { bootstrapAdmin } from '../credentials/bootstrap-admin';
import { runCommand } from './run-command';

const USAGE =
  'usage: npm run --silent bootstrap-admin -w @concierge/users -- --email E [--name N] [--org CODE] [--reset]';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      org: { type: 'string' },
      reset: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.email) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 1;
  }
  const config = loadBootstrapConfig();
  const db = await connectMongo(config.mongoUri);
  try {
    await userModel(db).init();
    await organizationModel(db).init();
    await initCredentialModels(db);
    const stores = createStores(db);
    const result = await bootstrapAdmin(
      { email: values.email, displayName: values.name, organizationCode: values.org, reset: values.reset },
      {
        users: stores.users,
        orgs: stores.orgs,
        contracts: new EventContracts(),
        actor: 'system:bootstrap-admin',
        correlationId: randomUUID(),
        ...stores.credentials,
        setPasswordTtlMs: config.setPasswordTtlMs,
      },
    );
    const who = `${values.email} (${result.userId})`;
    process.stderr.write(`${result.created ? 'created' : 'found'} ${who}; global role admin\n`);
    if (!result.token) {
      process.stderr.write('they have a password already and keep it; --reset issues a new token\n');
      return 0;
    }
    process.stderr.write(
      `set-password token (single use, expires ${result.token.expiresAt.toISOString()}); ` +
        'pass it to the setPassword mutation:\n',
    );
    process.stdout.write(`${result.token.token}\n`);
    return 0;
  } finally {
    await db.close();
  }
}

runCommand(main);
