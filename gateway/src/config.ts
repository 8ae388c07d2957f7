import { join } from 'node:path';
import { z } from 'zod';
import {
  brokerList,
  loadKafkaSecurity,
  logLevel,
  parseEnv,
  port,
  secret,
  type ExternalMapping,
  type KafkaSecurity,
} from '@concierge/kit';
import { DEFAULT_THROTTLE, type ThrottlePolicy } from './address-throttle';
import { DEFAULT_LIMITS, type OperationLimits } from './operation-limits';

const url = z.string().url();
const limit = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

/**
 * Tokens a document may hold. graphql-js stops parsing beyond it, so a huge document costs no
 * validation (whose overlapping-fields check grows with the square of the fields).
 */
export const DEFAULT_MAX_TOKENS = 2_000;
/** The external OpenID Connect provider (README, "External identity provider"); off without an issuer. */
const externalIdpSchema = z.object({
  // OpenID Connect Discovery 1.0 section 3: an issuer is an https URL without query or fragment
  // (http is allowed for a provider on this host, as in tests).
  GATEWAY_OIDC_ISSUER: url
    .refine((u) => !u.includes('#') && !u.includes('?'), 'must have no query or fragment')
    .optional(),
  GATEWAY_OIDC_JWKS_URL: url.optional(),
  GATEWAY_OIDC_AUDIENCE: z.string().min(1).optional(),
  GATEWAY_OIDC_MAP_BY: z.enum(['subject', 'email']).default('subject'),
  GATEWAY_OIDC_UNKNOWN_USER: z.enum(['reject', 'create-pending']).default('reject'),
  GATEWAY_OIDC_JIT_ORGANIZATION: z.string().min(1).optional(),
  GATEWAY_OIDC_MAX_TOKEN_AGE_S: z.coerce.number().int().min(60).max(86_400).default(3600),
});

/** The settings that need each other: issuer, keys and audience together; an organisation for JIT users. */
function checkExternalIdp(
  e: z.infer<typeof externalIdpSchema> & { USERS_TOKEN_ISSUER: string },
  ctx: z.RefinementCtx,
): void {
  const configured = e.GATEWAY_OIDC_ISSUER !== undefined;
  const need = (name: keyof typeof e, why: string) =>
    ctx.addIssue({ code: 'custom', path: [name], message: why });
  // The issuer a token claims picks its verifier, so the two must differ.
  if (configured && e.GATEWAY_OIDC_ISSUER === e.USERS_TOKEN_ISSUER)
    need('GATEWAY_OIDC_ISSUER', 'must differ from USERS_TOKEN_ISSUER');
  if (configured) {
    if (!e.GATEWAY_OIDC_JWKS_URL) need('GATEWAY_OIDC_JWKS_URL', 'required with GATEWAY_OIDC_ISSUER');
    if (!e.GATEWAY_OIDC_AUDIENCE) need('GATEWAY_OIDC_AUDIENCE', 'required with GATEWAY_OIDC_ISSUER');
  } else {
    for (const name of [
      'GATEWAY_OIDC_JWKS_URL',
      'GATEWAY_OIDC_AUDIENCE',
      'GATEWAY_OIDC_JIT_ORGANIZATION',
    ] as const)
      if (e[name] !== undefined) need(name, 'needs GATEWAY_OIDC_ISSUER');
  }
  if (e.GATEWAY_OIDC_UNKNOWN_USER === 'create-pending' && !e.GATEWAY_OIDC_JIT_ORGANIZATION)
    need('GATEWAY_OIDC_JIT_ORGANIZATION', 'required with GATEWAY_OIDC_UNKNOWN_USER=create-pending');
}

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
  GATEWAY_MAX_DEPTH: limit(DEFAULT_LIMITS.maxDepth),
  GATEWAY_MAX_ALIASES: limit(DEFAULT_LIMITS.maxAliases),
  GATEWAY_MAX_ROOT_FIELDS: limit(DEFAULT_LIMITS.maxRootFields),
  GATEWAY_MAX_COST: limit(DEFAULT_LIMITS.maxCost),
  GATEWAY_ASSUMED_LIST_SIZE: limit(DEFAULT_LIMITS.assumedListSize),
  GATEWAY_MAX_TOKENS: limit(DEFAULT_MAX_TOKENS),
  KAFKA_BROKERS: brokerList,
  GATEWAY_SESSION_CACHE_S: z.coerce.number().int().min(1).max(300).default(30),
  GATEWAY_CREDENTIAL_BURST: limit(DEFAULT_THROTTLE.burst),
  GATEWAY_CREDENTIAL_PER_MINUTE: limit(DEFAULT_THROTTLE.perMinute),
  ...externalIdpSchema.shape,
});

/** The external OpenID Connect provider whose access tokens the gateway accepts (external-idp.ts). */
export interface ExternalIdpConfig {
  /** Expected `iss`; also how a token is told apart from the users service's own. */
  issuer: string;
  jwksUrl: string;
  /** Expected `aud` (the resource this gateway is to the provider). */
  audience: string;
  /** Which local user a token is: the one created for its issuer and subject, or by its e-mail. */
  mapBy: ExternalMapping;
  /** An unknown identity: 401, or a PENDING user created in `jitOrganization` (and still 401). */
  unknownUser: 'reject' | 'create-pending';
  /** Organisation code for users created just in time. */
  jitOrganization: string | null;
  /** A token issued longer ago than this is refused whatever its `exp` says. */
  maxTokenAgeS: number;
}

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
  /** What one operation may ask (operation-limits.ts). */
  limits: OperationLimits;
  /** Tokens a GraphQL document may hold. */
  maxTokens: number;
  /** Sign-in and credential mutations per client address (address-throttle.ts). */
  throttle: ThrottlePolicy;
  /** The broker the revocation feed reads users' events from. */
  kafkaBrokers: string[];
  /** TLS and SASL towards the broker (kit kafka-security.ts). */
  kafkaSecurity: KafkaSecurity;
  /** How long a session answer is used (session-check.ts): the worst-case revocation delay. */
  sessionCacheMs: number;
  /**
   * Operation limits, throttling and the session check. Only a benchmark turns them off, to
   * measure what they cost; the environment cannot.
   */
  hardening: boolean;
  /**
   * Asking the delegation service for each caller's admin grants and signing them into the
   * principal. Only a benchmark turns it off, with the subgraphs' policy, to measure what
   * authorization costs; the environment cannot.
   */
  adminGrants: boolean;
  /** Tokens of an external OpenID Connect provider; null (the default) accepts none. */
  externalIdp: ExternalIdpConfig | null;
}

/** Reads and validates the gateway's environment. */
export function loadConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  // @apollo/gateway 2.12+ reports usage metrics to Apollo unless this is set; nothing may call home.
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const e = parseEnv(schema.superRefine(checkExternalIdp), env);
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
    limits: {
      maxDepth: e.GATEWAY_MAX_DEPTH,
      maxAliases: e.GATEWAY_MAX_ALIASES,
      maxRootFields: e.GATEWAY_MAX_ROOT_FIELDS,
      maxCost: e.GATEWAY_MAX_COST,
      assumedListSize: e.GATEWAY_ASSUMED_LIST_SIZE,
    },
    maxTokens: e.GATEWAY_MAX_TOKENS,
    kafkaBrokers: e.KAFKA_BROKERS,
    kafkaSecurity: loadKafkaSecurity(env),
    sessionCacheMs: e.GATEWAY_SESSION_CACHE_S * 1000,
    hardening: true,
    adminGrants: true,
    throttle: { burst: e.GATEWAY_CREDENTIAL_BURST, perMinute: e.GATEWAY_CREDENTIAL_PER_MINUTE },
    introspection: (e.GATEWAY_INTROSPECTION ?? String(e.NODE_ENV === 'development')) === 'true',
    externalIdp:
      e.GATEWAY_OIDC_ISSUER && e.GATEWAY_OIDC_JWKS_URL && e.GATEWAY_OIDC_AUDIENCE
        ? {
            issuer: e.GATEWAY_OIDC_ISSUER,
            jwksUrl: e.GATEWAY_OIDC_JWKS_URL,
            audience: e.GATEWAY_OIDC_AUDIENCE,
            mapBy: e.GATEWAY_OIDC_MAP_BY,
            unknownUser: e.GATEWAY_OIDC_UNKNOWN_USER,
            jitOrganization: e.GATEWAY_OIDC_JIT_ORGANIZATION ?? null,
            maxTokenAgeS: e.GATEWAY_OIDC_MAX_TOKEN_AGE_S,
          }
        : null,
  };
}
