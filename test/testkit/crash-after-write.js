// Child process for the crash test: writes a user with its event through the users domain (as the
// createUser mutation does), then dies with SIGKILL before any relay could publish it.
// Runs the built code (npm test builds before testing). Prints the new user's id first.
const { connectMongo, EventContracts } = require('../../services/kit/dist');
const { userModel } = require('../../services/users/dist/data/user.model');
const { UserRepository } = require('../../services/users/dist/data/user.repository');
const { createUser } = require('../../services/users/dist/domain/create-user');

async function main() {
  const db = await connectMongo(process.argv[2]);
  const model = userModel(db);
  await model.init();
  const user = await createUser(
    { email: process.argv[3], displayName: 'Crash Test' },
    {
      users: new UserRepository(model),
      contracts: new EventContracts(),
      actor: 'test',
      correlationId: 'crash-test',
    },
  );
  process.stdout.write(`${user._id}\n`, () => process.kill(process.pid, 'SIGKILL'));
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
