// Child process for benchmarks: one built subgraph as its dist/index.js runs it (its configuration
// from the environment), except that BENCH_AUTHORIZATION=off makes the kit's policy allow every
// signed-in caller everything first (kit policy-bypass.ts), which no environment variable of a
// service can. Both sides of a comparison run this file. Usage: node subgraph-runner.js <service>
const service = process.argv[2];
if (!['users', 'access-requests', 'delegation', 'notifications'].includes(service ?? '')) {
  console.error(`usage: node subgraph-runner.js users|access-requests|delegation|notifications`);
  process.exit(2);
}
// The same module files the service loads through @concierge/kit (a workspace link to them), so
// the switch reaches the policy the service asks.
const { runMain } = require('../../../services/kit/dist');
if (process.env.BENCH_AUTHORIZATION === 'off') {
  require('../../../services/kit/dist/policy-bypass').allowEverythingForBenchmark();
  console.error(`[subgraph-runner] ${service}: AUTHORIZATION OFF, every signed-in caller may do everything`);
}
const { loadConfig, startServer } = require(`../../../services/${service}/dist`);
runMain(service, () => startServer(loadConfig()));
