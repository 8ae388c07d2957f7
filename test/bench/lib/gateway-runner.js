// Child process for benchmarks: the built gateway as gateway/dist/index.js runs it (its
// configuration from the environment), except that BENCH_HARDENING=off turns the hardening off and
// BENCH_AUTHORIZATION=off stops it resolving admin grants, which no environment variable of the
// gateway can. Both sides of a comparison run this file.
const { loadConfig, startGateway } = require('../../../gateway/dist');
const { registerShutdown } = require('../../../services/kit/dist');

const hardening = process.env.BENCH_HARDENING !== 'off';
const adminGrants = process.env.BENCH_AUTHORIZATION !== 'off';
startGateway({ ...loadConfig(), hardening, adminGrants })
  .then((gateway) => registerShutdown(gateway.logger, [{ name: 'gateway', run: gateway.stop }]))
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
