import { BadInputError, isCalendarDate } from '@concierge/kit';
import type { AttributeDefinition, AttributeType } from '../organizations/organization.model';
import { ATTRIBUTE_ERRORS } from '../organizations/organization.errors';

export type AttributeValue = string | number | boolean;
/** Custom attribute values as given by a caller: typed JSON (NDJSON, graph) or text (CSV). */
export type AttributeInput = Record<string, unknown>;

const MAX_ATTRIBUTES = 50;
const MAX_TEXT = 1_000;

function coerce(type: AttributeType, value: unknown): AttributeValue | undefined {
  switch (type) {
    case 'STRING':
      return typeof value === 'string' && value.length <= MAX_TEXT ? value : undefined;
    case 'NUMBER': {
      const n =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && value.trim() !== ''
            ? Number(value)
            : NaN;
      return Number.isFinite(n) ? n : undefined;
    }
    case 'BOOLEAN':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      return undefined;
    case 'DATE':
      return typeof value === 'string' && isCalendarDate(value) ? value : undefined;
  }
}

const EXAMPLE: Record<AttributeType, string> = {
  STRING: `text of at most ${MAX_TEXT} characters`,
  NUMBER: 'a number',
  BOOLEAN: 'true or false',
  DATE: 'a date such as 2027-01-04',
};

/**
 * Checks custom attribute values against the definitions that apply to the user's organisation
 * and returns them typed. Unknown names, wrong types and missing required values are
 * BAD_USER_INPUT on `attributes.<name>`.
 */
export function checkAttributes(
  input: AttributeInput | null | undefined,
  definitions: ReadonlyMap<string, AttributeDefinition>,
): Record<string, AttributeValue> {
  const entries = Object.entries(input ?? {}).filter(([, v]) => v !== null && v !== undefined && v !== '');
  if (entries.length > MAX_ATTRIBUTES) {
    throw new BadInputError(
      'attributes',
      `At most ${MAX_ATTRIBUTES} custom attributes`,
      ATTRIBUTE_ERRORS.TOO_MANY,
    );
  }
  const out: Record<string, AttributeValue> = {};
  for (const [name, raw] of entries) {
    const def = definitions.get(name);
    if (!def) {
      throw new BadInputError(
        `attributes.${name.slice(0, 64)}`,
        `The organisation declares no attribute "${name.slice(0, 64)}"`,
        ATTRIBUTE_ERRORS.UNKNOWN,
      );
    }
    const value = coerce(def.type, raw);
    if (value === undefined) {
      throw new BadInputError(
        `attributes.${name}`,
        `${name} must be ${EXAMPLE[def.type]}`,
        ATTRIBUTE_ERRORS.WRONG_TYPE,
      );
    }
    out[name] = value;
  }
  for (const def of definitions.values()) {
    if (def.required && !(def.name in out)) {
      throw new BadInputError(
        `attributes.${def.name}`,
        `${def.name} is required here`,
        ATTRIBUTE_ERRORS.REQUIRED,
      );
    }
  }
  return out;
}
