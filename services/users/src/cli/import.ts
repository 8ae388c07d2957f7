/**
 * Imports users from a CSV (header row) or NDJSON file, upserting by source and external id:
 *   npm run import -- FILE [--source NAME] [--dry-run] [--report FILE]
 * Exit status: 0 all rows imported, 2 some rows rejected (see the report), 1 the import failed.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  connectMongo,
  createKafka,
  createLogger,
  ensureTopics,
  EventContracts,
  EventPublisher,
  OutboxRelay,
  type OutboxDocument,
  CREATION_BATCHES,
  CREATION_OUTBOX,
  CreationOutbox,
  CreationSender,
  type CreationBatch,
  type CreationChunk,
} from '@concierge/kit';
import { loadImportConfig } from '../config';
import { createCredentialEffects } from '../credentials/provisioning';
import { initCredentialModels } from '../credentials/credential.repository';
import { organizationModel } from '../organizations/organization.model';
import { userModel } from '../directory/user.model';
import { createStores } from '../stores';
import { loadTree } from '../organizations/org-tree';
import { countRows, importFile } from '../import/import-file';
import { KnownUsers } from '../import/known-users';
import type { RowOutcome } from '../import/user-upsert';
import { IMPORT_FIELDS } from '../import/map-record';
import { createProgress } from '../import/progress';
import { DEFAULT_SOURCE } from '../directory/profile';

const USAGE = `usage: npm run import -- FILE [--source NAME] [--dry-run] [--report FILE]
FILE is .csv (header row) or .ndjson/.jsonl; fields: ${IMPORT_FIELDS.join(', ')}`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      source: { type: 'string', default: DEFAULT_SOURCE },
      'dry-run': { type: 'boolean', default: false },
      report: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const config = loadImportConfig();
  if (values.help || positionals.length !== 1) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 1;
  }
  const file = resolve(config.invokedFrom, positionals[0] as string);
  const dryRun = values['dry-run'] ?? false;
  const jobId = randomUUID();
  const logger = createLogger('users-import', config.logLevel);
  const db = await connectMongo(config.mongoUri);
  const contracts = new EventContracts();
  const kafka = createKafka('concierge-users-import', config.kafkaBrokers, logger, config.kafkaSecurity);
  const publisher = new EventPublisher(kafka, contracts, logger);
  // The command publishes the events of the users it writes itself; whatever it cannot publish
  // (broker down) waits in the outbox, and the users service publishes it later. New users' events
  // go out right after their batch lands (the creation outbox keeps them until then). Changed users
  // carry theirs in the document; that relay (an indexed equality on `outboxPending`) runs only
  // once a batch has changed someone, so an import of new users polls nothing for them.
  const sender = new CreationSender(
    CreationOutbox.of(db.db as Db, 'users'),
    (events) => publisher.publish(events, { validated: true }),
    logger,
  );
  const relayOptions = { publisher, logger, pollMs: 1_000, batchSize: 1_000 };
  const creationRelay = new OutboxRelay({
    ...relayOptions,
    collections: [],
    creations: db.collection<CreationChunk>(CREATION_OUTBOX) as never,
    creationBatches: db.collection<CreationBatch>(CREATION_BATCHES) as never,
    collectionOf: (name) => db.collection<OutboxDocument>(name) as never,
  });
  const changeRelay = new OutboxRelay({
    ...relayOptions,
    collections: [db.collection<OutboxDocument>('users') as never],
  });
  let changed = false;
  const afterBatch = (outcomes: RowOutcome[]) => {
    if (!outcomes.some((o) => o.outcome === 'updated')) return;
    if (!changed) changeRelay.start();
    changed = true;
    changeRelay.kick();
  };
  const reportPath = values.report ? resolve(config.invokedFrom, values.report) : `${file}.rejected.csv`;
  const report = createWriteStream(reportPath);
  try {
    await userModel(db).init();
    await organizationModel(db).init();
    await initCredentialModels(db);
    if (!dryRun) await ensureTopics(kafka, contracts);
    const stores = createStores(db);
    const deps = {
      users: stores.users,
      orgs: stores.orgs,
      contracts,
      actor: 'system:import',
      correlationId: jobId,
      credentialEffects: createCredentialEffects(stores.credentials, config),
    };
    const total = await countRows(file);
    const known = await KnownUsers.load(deps.users);
    process.stderr.write(
      `${dryRun ? 'Checking' : 'Importing'} ${file} (${total} rows, source ${values.source}; ` +
        `${known.size} users with external ids in the directory)\n`,
    );
    const result = await importFile(file, deps, await loadTree(deps), {
      source: values.source ?? DEFAULT_SOURCE,
      dryRun,
      progress: createProgress({ total }),
      report,
      afterBatch,
      known,
      ...(dryRun ? {} : { sender }),
    });
    // Users linked to a manager listed after them were changed: their events go out with the rest.
    if (result.managers.linked > 0) changed = true;
    let unpublished = 0;
    if (!dryRun) {
      await changeRelay.stop();
      try {
        await sender.flush();
        // Batches a failed send left to the relay:
        if (!sender.direct) await creationRelay.drain();
        if (changed) await changeRelay.drain();
      } catch {
        unpublished = await stores.users.unpublished();
      }
    }
    const { created, updated, unchanged, rejected } = result.counts;
    process.stdout.write(
      `${dryRun ? 'Dry run, nothing written: would have ' : ''}created ${created}, updated ${updated}, unchanged ${unchanged}, rejected ${rejected} ` +
        `in ${(result.elapsedMs / 1000).toFixed(1)} s (${Math.round(result.rowsPerSecond)} rows/s)\n`,
    );
    const { linked, waiting, refused } = result.managers;
    const users = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
    if (linked > 0)
      process.stdout.write(`${users(linked, 'user', 'users')} got the manager they waited for\n`);
    if (waiting > 0) {
      process.stdout.write(
        `${users(waiting, 'user waits', 'users wait')} for a manager who is not in the directory yet, and gets them when that manager is imported\n`,
      );
    }
    for (const r of refused)
      process.stdout.write(`  user ${r.userId}: manager ${r.managerKey} refused: ${r.reason}\n`);
    for (const r of result.firstRejected) process.stdout.write(`  line ${r.line}: ${r.reason}\n`);
    if (rejected > result.firstRejected.length)
      process.stdout.write(`  ... all ${rejected} in ${reportPath}\n`);
    else if (rejected > 0) process.stdout.write(`  (also in ${reportPath})\n`);
    if (unpublished > 0) {
      process.stdout.write(
        `${unpublished} users' events wait in the outbox: Kafka was unreachable; the users service publishes them when it is back.\n`,
      );
    }
    return rejected > 0 ? 2 : 0;
  } finally {
    await new Promise((done) => report.end(done));
    await changeRelay.stop();
    await sender.flush().catch(() => undefined);
    await publisher.close();
    await db.close();
  }
}

main().then(
  (status) => process.exit(status),
  (err: unknown) => {
    process.stderr.write(`import failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
