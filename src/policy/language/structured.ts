import { CONTAINS_FUNCTION, REQUEST_VARIABLES } from './cel.js';

/** Operators of AGT's structured conditions. */
export const OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in', 'matches', 'contains'] as const;

/** A structured condition, `{ field, operator, value }` (the document schema validates its shape). */
export interface StructuredCondition {
  field: string;
  operator: (typeof OPERATORS)[number];
  value?: unknown;
}

/**
 * AGT's structured conditions (`{ field, operator, value }`) compile to CEL source, so both
 * forms run on one engine with one set of semantics (including fail-restrictive errors).
 */
export function structuredToCel(condition: StructuredCondition): string {
  const field = fieldPath(condition.field);
  const value = condition.value;
  switch (condition.operator) {
    case 'eq':
      return `${field} == ${literal(value)}`;
    case 'ne':
      return `${field} != ${literal(value)}`;
    case 'gt':
      return `${field} > ${numberLiteral(value, 'gt')}`;
    case 'gte':
      return `${field} >= ${numberLiteral(value, 'gte')}`;
    case 'lt':
      return `${field} < ${numberLiteral(value, 'lt')}`;
    case 'lte':
      return `${field} <= ${numberLiteral(value, 'lte')}`;
    case 'in':
      return `${field} in ${listLiteral(value, 'in')}`;
    case 'not_in':
      return `!(${field} in ${listLiteral(value, 'not_in')})`;
    case 'matches':
      if (typeof value !== 'string') throw new Error('operator matches needs a string pattern as value');
      return `${field}.matches(${literal(value)})`;
    case 'contains':
      return `${CONTAINS_FUNCTION}(${field}, ${literal(value)})`;
  }
}

function fieldPath(field: string): string {
  const parts = field.split('.');
  if (!parts.every((part) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(part))) {
    throw new Error(`field '${field}' is not a dotted path of names`);
  }
  if (!Object.hasOwn(REQUEST_VARIABLES, parts[0] as string)) {
    throw new Error(`field '${field}' is not part of a request; use one of ${Object.keys(REQUEST_VARIABLES).join(', ')} (free-form values go under context.${field})`);
  }
  return field;
}

/** A JSON scalar is valid CEL literal syntax (JSON's string escapes are a subset of CEL's). */
function literal(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return JSON.stringify(value);
  if (typeof value === 'number' && Number.isFinite(value)) return numberText(value);
  throw new Error(`value ${JSON.stringify(value)} must be a string, number, boolean or null`);
}

function numberLiteral(value: unknown, operator: string): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`operator ${operator} needs a number as value`);
  return numberText(value);
}

/** Request numbers arrive as doubles; a double literal keeps the comparison type-exact. */
function numberText(value: number): string {
  return Number.isInteger(value) ? `${value}.0` : String(value);
}

function listLiteral(value: unknown, operator: string): string {
  if (!Array.isArray(value)) throw new Error(`operator ${operator} needs a list as value`);
  return `[${value.map(literal).join(', ')}]`;
}
