// Waits until the database answers a ping and the broker answers a metadata request.
// On time-out it names what is not healthy, prints the tail of its log and exits 1.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import kafkajs from 'kafkajs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = process.env.CONCIERGE_DATA_DIR ?? join(root, '.data');
const mongoUrl = `mongodb://${process.env.MONGO_HOST ?? '127.0.0.1'}:${process.env.MONGO_PORT ?? '27017'}/`;
const broker = `${process.env.KAFKA_HOST ?? '127.0.0.1'}:${process.env.KAFKA_PORT ?? '9092'}`;
const timeoutMs = Number(process.env.INFRA_WAIT_TIMEOUT_MS ?? 120_000);

async function mongoHealthy() {
  const client = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 1000, directConnection: true });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return true;
  } finally {
    await client.close().catch(() => undefined);
  }
}

async function kafkaHealthy() {
  const kafka = new kafkajs.Kafka({
    brokers: [broker],
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function tail(file, lines = 30) {
  if (!existsSync(file)) return `(no log at ${file})`;
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

async function waitFor(name, check, log) {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  console.error(`[infra] ${name} is not healthy after ${timeoutMs / 1000}s: ${lastError}`);
  console.error(`[infra] last lines of ${log}:\n${tail(log)}`);
  process.exit(1);
}

const started = Date.now();
await Promise.all([
  waitFor(`FerretDB at ${mongoUrl}`, mongoHealthy, join(dataDir, 'logs', 'ferretdb.log')),
  waitFor(`Kafka at ${broker}`, kafkaHealthy, join(dataDir, 'logs', 'kafka.log')),
]);
console.error(`[infra] database and broker are healthy (${Date.now() - started} ms)`);
