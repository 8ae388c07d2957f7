import { randomUUID } from 'node:crypto';
import { BadInputError, ConflictError } from '@concierge/kit';
import type { OrganizationKind } from './organization.model';
import { DuplicateCodeError, type Organization } from './organization.repository';
import type { OrganizationsDeps } from './deps';
import { usersEvent } from '../shared/events';
import { normalizeCode, normalizeDefinitions, normalizeName } from './organization-input';
import { ORGANIZATION_ERRORS } from './organization.errors';

export interface CreateOrganizationInput {
  code: string;
  name: string;
  kind: OrganizationKind;
  parentId?: string | null;
  attributeDefinitions?: { name: string; type: string; required?: boolean | null }[] | null;
}

/** Creates a business unit or partner organisation, at the top or under a parent. */
export async function createOrganization(
  input: CreateOrganizationInput,
  deps: OrganizationsDeps,
): Promise<Organization> {
  const code = normalizeCode(input.code);
  const name = normalizeName(input.name);
  const attributeDefinitions = normalizeDefinitions(input.attributeDefinitions);
  const parentId = input.parentId ?? null;
  if (parentId !== null && !(await deps.orgs.findById(parentId))) {
    throw new BadInputError(
      'parentId',
      `Organisation ${parentId.slice(0, 64)} does not exist`,
      ORGANIZATION_ERRORS.NOT_FOUND,
    );
  }
  const id = randomUUID();
  const event = usersEvent(deps, 'organization.created', id, {
    organizationId: id,
    code,
    name,
    kind: input.kind,
    parentId,
  });
  try {
    return await deps.orgs.insert({ _id: id, code, name, kind: input.kind, parentId, attributeDefinitions }, [
      event,
    ]);
  } catch (err) {
    if (err instanceof DuplicateCodeError) {
      throw new ConflictError(`An organisation with code ${code} already exists`, {
        field: 'code',
        reason: ORGANIZATION_ERRORS.CODE_TAKEN,
      });
    }
    throw err;
  }
}
