import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isListType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLSchema,
  type GraphQLType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
  isObjectType,
  isInterfaceType,
} from 'graphql';

/** What one operation may ask of the graph. */
export interface OperationLimits {
  /** Nesting of fields, the root fields being depth 1. */
  maxDepth: number;
  /** Aliased fields in the whole operation. */
  maxAliases: number;
  /** Fields at the root of the operation, aliases included. */
  maxRootFields: number;
  /** The cost model's ceiling (see `operationCost`). */
  maxCost: number;
  /** The size assumed for a list whose field takes no `first`. */
  assumedListSize: number;
}

export const DEFAULT_LIMITS: Readonly<OperationLimits> = Object.freeze({
  maxDepth: 10,
  maxAliases: 15,
  maxRootFields: 10,
  maxCost: 5_000,
  assumedListSize: 10,
});

/**
 * Mutations that check a password or spend a credential token. One operation may carry one of
 * them, so a request cannot multiply guesses with aliases.
 */
export const CREDENTIAL_MUTATIONS: ReadonlySet<string> = new Set([
  'login',
  'setPassword',
  'refreshSession',
  'changePassword',
  'resetPassword',
]);

export type LimitReason =
  'LIMIT.DEPTH' | 'LIMIT.ALIASES' | 'LIMIT.ROOT_FIELDS' | 'LIMIT.COST' | 'LIMIT.CREDENTIAL_OPERATIONS';

/** The refusal of an operation over a limit: HTTP 400, code OPERATION_LIMIT_EXCEEDED. */
export function limitExceeded(reason: LimitReason, limit: number, actual: number): GraphQLError {
  const what: Record<LimitReason, string> = {
    'LIMIT.DEPTH': 'nests fields deeper than',
    'LIMIT.ALIASES': 'uses more aliases than',
    'LIMIT.ROOT_FIELDS': 'asks for more root fields than',
    'LIMIT.COST': 'costs more than',
    'LIMIT.CREDENTIAL_OPERATIONS': 'carries more sign-in or credential mutations than',
  };
  return new GraphQLError(`The operation ${what[reason]} the limit of ${limit}`, {
    extensions: { code: 'OPERATION_LIMIT_EXCEEDED', reason, limit, actual, http: { status: 400 } },
  });
}

interface Measure {
  depth: number;
  aliases: number;
  cost: number;
  credentialMutations: number;
}

type Variables = Record<string, unknown> | undefined;

/** `first` (or `last`) of a field as a number, from a literal or a variable; null when absent. */
function pageSize(field: FieldNode, variables: Variables): number | null {
  const arg = field.arguments?.find((a) => a.name.value === 'first' || a.name.value === 'last');
  if (!arg) return null;
  const value = valueOf(arg.value, variables);
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(0, Math.floor(value)) : null;
}

function valueOf(node: ValueNode, variables: Variables): unknown {
  if (node.kind === Kind.INT || node.kind === Kind.FLOAT) return Number(node.value);
  if (node.kind === Kind.VARIABLE) return variables?.[node.name.value];
  return undefined;
}

function fieldDef(parent: GraphQLType | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
  const named = parent ? getNamedType(parent) : undefined;
  return isObjectType(named) || isInterfaceType(named) ? named.getFields()[name] : undefined;
}

/**
 * Walks the operation once. Cost: every field costs 1, times the size of every list it sits in;
 * a list's size is its `first` (or its connection's), else `assumedListSize`.
 */
function measure(
  operation: OperationDefinitionNode,
  fragments: Map<string, FragmentDefinitionNode>,
  schema: GraphQLSchema | undefined,
  variables: Variables,
  limits: OperationLimits,
): Measure {
  const result: Measure = { depth: 0, aliases: 0, cost: 0, credentialMutations: 0 };
  const rootType =
    operation.operation === 'mutation'
      ? schema?.getMutationType()
      : operation.operation === 'subscription'
        ? schema?.getSubscriptionType()
        : schema?.getQueryType();

  const walk = (
    set: SelectionSetNode,
    parent: GraphQLType | undefined,
    depth: number,
    multiplier: number,
    page: number | null,
    seen: Set<string>,
  ): void => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typed = selection.typeCondition ? schema?.getType(selection.typeCondition.name.value) : parent;
        walk(selection.selectionSet, typed ?? parent, depth, multiplier, page, seen);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // Validation refuses cycles; the guard keeps a broken document from looping anyway.
        if (!fragment || seen.has(name)) continue;
        const typed = schema?.getType(fragment.typeCondition.name.value);
        walk(fragment.selectionSet, typed ?? parent, depth, multiplier, page, new Set(seen).add(name));
        continue;
      }
      const name = selection.name.value;
      if (selection.alias) result.aliases += 1;
      if (name.startsWith('__')) continue;
      if (depth === 1 && operation.operation === 'mutation' && CREDENTIAL_MUTATIONS.has(name))
        result.credentialMutations += 1;
      result.depth = Math.max(result.depth, depth);
      result.cost += multiplier;
      if (!selection.selectionSet) continue;
      const def = fieldDef(parent, name);
      const first = pageSize(selection, variables);
      const isList = def ? isListType(getNullableType(def.type)) : false;
      // A list multiplies what is under it by its page: its own `first`, the `first` of the
      // connection it belongs to, or the assumed size. A connection's other fields are not per item.
      const next = Math.min(
        isList ? multiplier * (first ?? page ?? limits.assumedListSize) : multiplier,
        Number.MAX_SAFE_INTEGER / 2,
      );
      const nextPage = isList ? null : first;
      walk(selection.selectionSet, def?.type, depth + 1, next, nextPage, seen);
    }
  };
  walk(operation.selectionSet, rootType ?? undefined, 1, 1, null, new Set());
  return result;
}

/** The operation a request runs: the one named, or the only one. */
function selectOperation(
  definitions: readonly OperationDefinitionNode[],
  operationName: string | null | undefined,
): OperationDefinitionNode | undefined {
  if (operationName) return definitions.find((d) => d.name?.value === operationName);
  return definitions.length === 1 ? definitions[0] : undefined;
}

/**
 * Checks one operation against the limits and throws the first one exceeded; says how many
 * credential mutations it carries (0 or 1). Runs after
 * validation and before the gateway plans the query, so a refused operation costs no subgraph
 * call and no password check.
 */
export function checkOperationLimits(
  document: { definitions: readonly { kind: string }[] },
  operationName: string | null | undefined,
  variables: Variables,
  schema: GraphQLSchema | undefined,
  limits: OperationLimits,
): { credentialMutations: number } {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
  const operation = selectOperation(operations, operationName);
  if (!operation) return { credentialMutations: 0 };
  const roots = countRootFields(operation.selectionSet, fragments);
  if (roots > limits.maxRootFields) throw limitExceeded('LIMIT.ROOT_FIELDS', limits.maxRootFields, roots);
  const m = measure(operation, fragments, schema, variables, limits);
  if (m.credentialMutations > 1) throw limitExceeded('LIMIT.CREDENTIAL_OPERATIONS', 1, m.credentialMutations);
  if (m.aliases > limits.maxAliases) throw limitExceeded('LIMIT.ALIASES', limits.maxAliases, m.aliases);
  if (m.depth > limits.maxDepth) throw limitExceeded('LIMIT.DEPTH', limits.maxDepth, m.depth);
  if (m.cost > limits.maxCost) throw limitExceeded('LIMIT.COST', limits.maxCost, m.cost);
  return { credentialMutations: m.credentialMutations };
}

function countRootFields(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>): number {
  let count = 0;
  const seen = new Set<string>();
  const visit = (s: SelectionSetNode) => {
    for (const selection of s.selections) {
      if (selection.kind === Kind.FIELD) count += selection.name.value.startsWith('__') ? 0 : 1;
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) visit(fragment.selectionSet);
      }
    }
  };
  visit(set);
  return count;
}
