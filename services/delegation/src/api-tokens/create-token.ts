import { policy } from '@concierge/kit';
import { checkInput, mintSecret, type ApiToken, type TokenInput } from './api-token';
import { beyondCreator, unknownApplication, unknownOrganization } from './api-tokens.errors';
import { tokenCreated } from './api-tokens.events';
import type { ApiTokensDeps } from './deps';
import { missingForToken } from './token-authority';

/**
 * Creates a scoped API token and publishes api-token.created; returns it with its secret, which is
 * shown this once. Refuses, storing nothing: a malformed request, an unknown organisation or
 * application, and any capability the creator does not hold (with api-token:create) over the
 * token's organisation or applications.
 */
export async function createToken(
  input: TokenInput,
  deps: ApiTokensDeps,
): Promise<{ token: ApiToken; secret: string }> {
  const now = deps.now ?? new Date();
  policy.requireUser(deps.principal);
  const { name, capabilities, expiresAt, applicationIds } = checkInput(input, now);
  const organizationId = input.organizationId.trim();
  if (!(await deps.organizations.findById(organizationId))) throw unknownOrganization(organizationId);
  for (const id of applicationIds ?? [])
    if (!(await deps.applications.exists(id))) throw unknownApplication(id);
  const path = await deps.organizations.path(organizationId);

  const missing = missingForToken(deps.principal, { organizationId, path, applicationIds }, [
    'api-token:create',
    ...capabilities,
  ]);
  if (missing.length > 0) throw beyondCreator(missing);

  const { id, token: secret, secretHash } = mintSecret();
  const token: Omit<ApiToken, 'version'> = {
    _id: id,
    name,
    organizationId,
    capabilities,
    applicationIds,
    expiresAt,
    creatorId: deps.principal.userId,
    createdAt: now,
    secretHash,
    revokedAt: null,
    revokedBy: null,
    revokeReason: null,
    expiringNoticeAt: null,
    expiredAt: null,
  };
  const created = await deps.tokens.create(token, [tokenCreated(deps, token)]);
  if (!created) throw new Error(`token id ${id} was taken`);
  return { token: created, secret };
}
