// Child process for the versioned-store test: one of several processes that change the same
// aggregates at once, through the built kit (npm test builds before testing). Prints one JSON line:
// the decisions this process won.
//   node versioned-contender.js <mongoUri> <collection> <name> <id,id,...> <increments>
const { connectMongo, VersionedStore, ConflictError } = require('../../services/kit/dist');

async function main() {
  const [uri, collection, name, list, increments] = process.argv.slice(2);
  const ids = list.split(',');
  const db = await connectMongo(uri);
  const store = new VersionedStore({ db, collection });
  const won = [];
  // Everyone tries to decide every aggregate; the first decision wins, the others are refused.
  await Promise.all(
    ids.map(async (id) => {
      try {
        await store.update(id, (state) => {
          if (state.decidedBy) throw new ConflictError('already decided');
          return { next: { ...state, decidedBy: name } };
        });
        won.push(id);
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }),
  );
  // Then counts up, every aggregate at once, one increment after the other: every one must land.
  const each = Number(increments) / ids.length;
  await Promise.all(
    ids.map(async (id) => {
      for (let i = 0; i < each; i++) {
        await store.update(id, (state) => ({ next: { ...state, count: state.count + 1 } }));
      }
    }),
  );
  await db.close();
  process.stdout.write(`${JSON.stringify({ name, won })}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
