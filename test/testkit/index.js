'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
exports.kafka = exports.ADMIN = exports.SECRET = exports.BROKERS = exports.MONGO_BASE = exports.ROOT = void 0;
exports.serviceConfig = serviceConfig;
exports.graphql = graphql;
exports.eventually = eventually;
exports.readTopic = readTopic;
exports.broker = broker;
/**
 * Helpers for integration and end-to-end tests: isolated databases and consumer groups per test
 * file, signed calls to subgraphs, a Kafka reader, broker stop/start, polling.
 */
const node_child_process_1 = require('node:child_process');
const node_crypto_1 = require('node:crypto');
const node_path_1 = require('node:path');
const kafkajs_1 = require('kafkajs');
const kit_1 = require('@concierge/kit');
exports.ROOT = (0, node_path_1.join)(__dirname, '..', '..');
exports.MONGO_BASE = process.env.TEST_MONGO_URL ?? 'mongodb://127.0.0.1:27017';
exports.BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
exports.SECRET = (0, node_crypto_1.randomBytes)(32).toString('base64url');
exports.ADMIN = { kind: 'user', userId: 'admin-test', roles: ['admin'] };
/** A service config on a fresh database and consumer group, port 0, quiet logs. */
function serviceConfig(name, overrides = {}) {
  const run = (0, node_crypto_1.randomUUID)().slice(0, 8);
  return {
    port: 0,
    mongoUri: `${exports.MONGO_BASE}/test-${name}-${run}`,
    kafkaBrokers: exports.BROKERS,
    gatewaySigningSecret: exports.SECRET,
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    outboxPollMs: 300,
    groupId: `test.${name}.${run}`,
    ...overrides,
  };
}
/** POSTs a GraphQL operation; `auth` is a principal to sign as the gateway would, or raw headers. */
async function graphql(url, query, variables = {}, auth = null) {
  const headers = { 'content-type': 'application/json' };
  if (auth && 'kind' in auth && 'roles' in auth)
    Object.assign(headers, (0, kit_1.signPrincipal)(auth, exports.SECRET));
  else if (auth) Object.assign(headers, auth);
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = await res.json();
  return { status: res.status, ...body };
}
/** Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
async function eventually(check, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}
exports.kafka = new kafkajs_1.Kafka({
  clientId: 'concierge-tests',
  brokers: exports.BROKERS,
  logLevel: kafkajs_1.logLevel.NOTHING,
});
/** Reads a topic from the beginning into `messages` until stopped. */
async function readTopic(topic) {
  const consumer = exports.kafka.consumer({ groupId: `test.reader.${(0, node_crypto_1.randomUUID)()}` });
  const messages = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      messages.push(message);
    },
  });
  return {
    messages,
    values: () => messages.map((m) => JSON.parse(m.value?.toString('utf8') ?? 'null')),
    stop: () => consumer.disconnect(),
  };
}
/** Stops or starts the local broker with the project's infra scripts. */
function broker(action) {
  const script = action === 'stop' ? 'stop.sh' : 'start.sh';
  (0, node_child_process_1.execFileSync)(
    'bash',
    [(0, node_path_1.join)(exports.ROOT, 'infra', script), ...(action === 'stop' ? ['kafka'] : [])],
    {
      stdio: 'ignore',
      timeout: 180_000,
    },
  );
}
//# sourceMappingURL=index.js.map
