import { ConfigError, parseEnv, secret, subgraphKey } from '@concierge/kit';
import { z } from 'zod';

const SUBGRAPHS = ['users', 'access-requests', 'delegation', 'notifications'];

/**
 * Prints the key one subgraph verifies the gateway's principal signatures with, derived from
 * GATEWAY_SIGNING_SECRET: give a subgraph its <PREFIX>_PRINCIPAL_KEY and not the gateway's secret,
 * so that a compromised subgraph cannot sign calls to the others.
 */
function main(args: string[]): void {
  const subgraph = args[0] ?? '';
  if (!SUBGRAPHS.includes(subgraph)) {
    console.error(`usage: npm run principal-key -w gateway -- <${SUBGRAPHS.join('|')}>`);
    process.exit(2);
  }
  try {
    const env = parseEnv(z.object({ GATEWAY_SIGNING_SECRET: secret }));
    const prefix = subgraph.toUpperCase().replace(/-/g, '_');
    console.log(
      `${prefix}_PRINCIPAL_KEY=${subgraphKey(env.GATEWAY_SIGNING_SECRET, subgraph).toString('base64url')}`,
    );
  } catch (err) {
    if (err instanceof ConfigError) console.error(err.message);
    else throw err;
    process.exit(1);
  }
}

main(process.argv.slice(2));
