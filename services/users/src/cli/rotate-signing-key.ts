/**
 * Adds a new access-token signing key: published at once, signing once every replica has seen it
 * (a couple of minutes); the old key stays published until the tokens it signed have expired.
 * Deletes keys whose publish window has passed. Prints kids and dates, never key material.
 *   npm run --silent rotate-signing-key -w @concierge/users -- [--status]
 */
import { parseArgs } from 'node:util';
import { connectMongo } from '@concierge/kit';
import { loadSigningKeyConfig } from '../config';
import type { SigningKeyStatus } from '../credentials/signing-keys';
import { createStores } from '../stores';
import { runCommand } from './run-command';

const USAGE = 'usage: npm run --silent rotate-signing-key -w @concierge/users -- [--status]';

const describe = (k: SigningKeyStatus) =>
  [
    `${k.kid}\t${k.state}`,
    k.state === 'pending' ? `signs from ${k.activatedAt.toISOString()}` : '',
    k.state === 'active' ? `signing since ${k.activatedAt.toISOString()}` : '',
    k.retiredAt ? `retired ${k.retiredAt.toISOString()}` : '',
    k.publishedUntil ? `published until ${k.publishedUntil.toISOString()}` : '',
  ]
    .filter(Boolean)
    .join('\t');

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { status: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
  });
  if (values.help) {
    process.stderr.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadSigningKeyConfig();
  const db = await connectMongo(config.mongoUri);
  try {
    const { keys } = createStores(db, { sealKey: config.sealKey });
    if (!values.status) {
      const removed = await keys.prune();
      for (const kid of removed) process.stderr.write(`removed ${kid}: its publish window has passed\n`);
      const rotation = await keys.rotate();
      process.stderr.write(
        rotation.rotated
          ? `new signing key; it signs from ${rotation.activatesAt.toISOString()}\n`
          : `a rotation is under way already (its key signs from ${rotation.activatesAt.toISOString()}); no other key added\n`,
      );
      process.stdout.write(`${rotation.kid}\n`);
    }
    const published = (await keys.status()).filter((k) => k.state !== 'expired');
    process.stderr.write(`published (${published.length}):\n`);
    for (const key of published) process.stderr.write(`  ${describe(key)}\n`);
    return 0;
  } finally {
    await db.close();
  }
}

runCommand(main);
