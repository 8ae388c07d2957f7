import { BadInputError } from '@concierge/kit';
import type { AttributeDefinition, AttributeType } from './organization.model';
import { ATTRIBUTE_ERRORS, ORGANIZATION_ERRORS } from './organization.errors';

/** An attribute name: a key in stored user documents. */
const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** Checks a new attribute definition's name (it becomes a key in stored documents). */
export function checkDefinitionName(name: string, field: string): void {
  if (!ATTRIBUTE_NAME.test(name)) {
    throw new BadInputError(
      field,
      `"${name.slice(0, 70)}" is not a valid attribute name: a letter, then up to 63 letters, digits or _`,
      ATTRIBUTE_ERRORS.BAD_NAME,
    );
  }
}

const CODE = /^[A-Z0-9][A-Z0-9_-]{0,31}$/;
const TYPES: readonly AttributeType[] = ['STRING', 'NUMBER', 'BOOLEAN', 'DATE'];
const MAX_DEFINITIONS = 50;

/** Upper case, 1 to 32 letters, digits, _ or -; what imports and HR feeds name an organisation by. */
export function normalizeCode(code: string): string {
  const normalized = code.trim().toUpperCase();
  if (!CODE.test(normalized)) {
    throw new BadInputError(
      'code',
      'code must have 1 to 32 letters, digits, _ or -',
      ORGANIZATION_ERRORS.BAD_CODE,
    );
  }
  return normalized;
}

export function normalizeName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 200) {
    throw new BadInputError('name', 'name must have 1 to 200 characters', ORGANIZATION_ERRORS.BAD_NAME);
  }
  return trimmed;
}

/** Checks declared attributes: valid unique names, known types. */
export function normalizeDefinitions(
  defs: readonly { name: string; type: string; required?: boolean | null }[] | null | undefined,
): AttributeDefinition[] {
  const list = defs ?? [];
  if (list.length > MAX_DEFINITIONS) {
    throw new BadInputError(
      'attributeDefinitions',
      `At most ${MAX_DEFINITIONS} attributes`,
      ATTRIBUTE_ERRORS.TOO_MANY,
    );
  }
  const seen = new Set<string>();
  return list.map((d, i) => {
    checkDefinitionName(d.name, `attributeDefinitions.${i}.name`);
    if (seen.has(d.name)) {
      throw new BadInputError(
        `attributeDefinitions.${i}.name`,
        `${d.name} is declared twice`,
        ATTRIBUTE_ERRORS.DUPLICATE,
      );
    }
    seen.add(d.name);
    if (!(TYPES as readonly string[]).includes(d.type)) {
      throw new BadInputError(`attributeDefinitions.${i}.type`, `type must be one of ${TYPES.join(', ')}`);
    }
    return { name: d.name, type: d.type as AttributeType, required: d.required ?? false };
  });
}
