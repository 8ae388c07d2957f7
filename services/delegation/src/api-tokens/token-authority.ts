import { grantCovers, policy, type Capability, type Principal, type Scope } from '@concierge/kit';

/**
 * The capabilities among `capabilities` the principal does not hold over a token's place: its
 * organisation with everything below it, or (for a capability on applications) one of the
 * applications it names. `path` is the organisation's, nearest first. Empty for a global
 * administrator.
 */
export function missingForToken(
  principal: Principal,
  place: { organizationId: string; path: readonly string[]; applicationIds: readonly string[] | null },
  capabilities: readonly Capability[],
): Capability[] {
  if (policy.isAdmin(principal)) return [];
  const organization: Scope = { kind: 'ORGANIZATION', id: place.organizationId, subtree: true };
  const applications = (place.applicationIds ?? []).map((id): Scope => ({ kind: 'APPLICATION', id }));
  const grants = principal.grants ?? [];
  return capabilities.filter(
    (c) =>
      !grants.some(
        (g) =>
          g.capabilities.includes(c) &&
          (grantCovers(g, organization, place.path) || applications.some((a) => grantCovers(g, a))),
      ),
  );
}

/** Whether the principal may manage the tokens of an organisation (create, list, revoke others'). */
export function managesTokensOf(
  principal: Principal,
  organizationId: string,
  path: readonly string[],
): boolean {
  return (
    missingForToken(principal, { organizationId, path, applicationIds: null }, ['api-token:create'])
      .length === 0
  );
}
