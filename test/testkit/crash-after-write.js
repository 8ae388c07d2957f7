// Child process for the crash test: writes a user with its event through the users domain (as the
// createUser mutation does), then dies with SIGKILL before any relay could publish it.
// Runs the built code (npm test builds before testing). Prints the new user's id first.
const { connectMongo, EventContracts } = require('../../services/kit/dist');
const { userModel } = require('../../services/users/dist/directory/user.model');
const { organizationModel } = require('../../services/users/dist/organizations/organization.model');
const { UserRepository } = require('../../services/users/dist/directory/user.repository');
const { OrganizationRepository } = require('../../services/users/dist/organizations/organization.repository');
const { createOrganization } = require('../../services/users/dist/organizations/create-organization');
const { createUser } = require('../../services/users/dist/directory/create-user');

async function main() {
  const db = await connectMongo(process.argv[2]);
  const users = userModel(db);
  const orgs = organizationModel(db);
  await Promise.all([users.init(), orgs.init()]);
  const deps = {
    users: new UserRepository(users),
    orgs: new OrganizationRepository(orgs),
    contracts: new EventContracts(),
    actor: 'test',
    correlationId: 'crash-test',
  };
  const org = await createOrganization({ code: 'CRASH', name: 'Crash Test', kind: 'BUSINESS_UNIT' }, deps);
  const user = await createUser(
    { email: process.argv[3], displayName: 'Crash Test', organizationId: org._id },
    deps,
  );
  process.stdout.write(`${user._id}\n`, () => process.kill(process.pid, 'SIGKILL'));
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
