import { ConfigError, createLogger, registerShutdown } from '@concierge/kit';
import { loadConfig } from './config';
import { startGateway } from './server';

export { loadConfig } from './config';
export type { ExternalIdpConfig, GatewayConfig } from './config';
export { startGateway } from './server';

if (require.main === module) {
  startGateway(loadConfig())
    .then((gateway) => registerShutdown(gateway.logger, [{ name: 'gateway', run: gateway.stop }]))
    .catch((err: unknown) => {
      if (err instanceof ConfigError) console.error(err.message);
      else createLogger('gateway').fatal({ err }, 'gateway failed to start');
      process.exit(1);
    });
}
