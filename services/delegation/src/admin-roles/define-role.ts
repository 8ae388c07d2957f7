import { policy } from '@concierge/kit';
import { roleExists } from './admin-roles.errors';
import { roleDefined } from './admin-roles.events';
import type { AdminRolesDeps } from './deps';
import { customRoleOf, optionalText, type CustomRole } from './role-assignment';

/** A global administrator defines a custom role: a named set of capabilities, published as admin-role.defined. */
export async function defineRole(
  input: { name: string; capabilities: readonly string[]; description?: string | null },
  deps: AdminRolesDeps,
): Promise<CustomRole> {
  policy.requireAdmin(deps.principal);
  const { name, capabilities } = customRoleOf(input.name, input.capabilities);
  const role: CustomRole = {
    _id: name,
    capabilities,
    description: optionalText('description', input.description),
    definedBy: deps.actor,
    definedAt: deps.now ?? new Date(),
  };
  const created = await deps.adminRoles.defineRole(role, [roleDefined(deps, role)]);
  if (!created) throw roleExists(name);
  return created;
}
