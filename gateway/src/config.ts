import { join } from 'node:path';
import { z } from 'zod';
import { logLevel, parseEnv, port, secret } from '@concierge/kit';

const url = z.string().url();
const schema = z.object({
  GATEWAY_PORT: port(4000),
  GATEWAY_SIGNING_SECRET: secret,
  LOG_LEVEL: logLevel,
  SUPERGRAPH_PATH: z.string().default(join(__dirname, '..', '..', 'schema', 'supergraph.graphql')),
  USERS_URL: url.default('http://127.0.0.1:4001/graphql'),
  ACCESS_REQUESTS_URL: url.default('http://127.0.0.1:4002/graphql'),
  DELEGATION_URL: url.default('http://127.0.0.1:4003/graphql'),
  NOTIFICATIONS_URL: url.default('http://127.0.0.1:4004/graphql'),
  USERS_JWKS_URL: url.default('http://127.0.0.1:4001/.well-known/jwks.json'),
  USERS_TOKEN_ISSUER: z.string().default('concierge-users'),
  GATEWAY_INTROSPECTION: z.enum(['true', 'false']).optional(),
  GATEWAY_JWKS_GRACE_S: z.coerce.number().int().min(0).max(86_400).default(3600),
  NODE_ENV: z.string().optional(),
});

export interface GatewayConfig {
  port: number;
  signingSecret: string;
  logLevel: string;
  supergraphPath: string;
  /** Subgraph URL by subgraph name, overriding the URLs recorded in the supergraph. */
  subgraphUrls: Record<string, string>;
  jwksUrl: string;
  tokenIssuer: string;
  /**
   * Schema introspection, and "Did you mean" hints in validation errors. Off unless
   * GATEWAY_INTROSPECTION=true, or NODE_ENV=development (what `npm start` sets) without it.
   */
  introspection: boolean;
  /** How long the last fetched token keys still verify while the users service's JWKS is unreachable. */
  jwksGraceMs: number;
}

/** Reads and validates the gateway's environment. */
export function loadConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  // @apollo/gateway 2.12+ reports usage metrics to Apollo unless this is set; nothing may call home.
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const e = parseEnv(schema, env);
  return {
    port: e.GATEWAY_PORT,
    signingSecret: e.GATEWAY_SIGNING_SECRET,
    logLevel: e.LOG_LEVEL,
    supergraphPath: e.SUPERGRAPH_PATH,
    subgraphUrls: {
      users: e.USERS_URL,
      'access-requests': e.ACCESS_REQUESTS_URL,
      delegation: e.DELEGATION_URL,
      notifications: e.NOTIFICATIONS_URL,
    },
    jwksUrl: e.USERS_JWKS_URL,
    tokenIssuer: e.USERS_TOKEN_ISSUER,
    jwksGraceMs: e.GATEWAY_JWKS_GRACE_S * 1000,
    introspection: (e.GATEWAY_INTROSPECTION ?? String(e.NODE_ENV === 'development')) === 'true',
  };
}
