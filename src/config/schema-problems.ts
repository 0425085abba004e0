// Validates against the JSON Schema and turns ajv's errors into sentences a user can act on.

import Ajv, { AnySchemaObject, ErrorObject } from 'ajv';
import { closestName } from './closest-name';
import { Problem, showValue } from './config-error';
import { configSchema, patternHints } from './schema';

// verbose: errors carry the failing schema and data, which the sentences quote.
const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true });
const validateSchema = ajv.compile(configSchema);

const typeNames: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  null: 'null',
};

function quoted(names: readonly string[]): string {
  return names.map((name) => JSON.stringify(name)).join(', ');
}

function listSize(schema: AnySchemaObject): string {
  const { minItems, maxItems } = schema;
  if (minItems === undefined) return '';
  if (maxItems === undefined) return ` of at least ${minItems} item${minItems === 1 ? '' : 's'}`;
  return ` of ${minItems} to ${maxItems} items`;
}

/** What a good value for `schema` looks like, as an instruction: "use ...". */
function howToWrite(schema: AnySchemaObject): string {
  if (schema.enum) return `use one of ${schema.enum.map(showValue).join(', ')}`;
  if (schema.pattern) return patternHints[schema.pattern].fix;
  const example = schema.examples ? `, like ${showValue(schema.examples[0])}` : '';
  switch (schema.type) {
    case 'integer':
      return `use an integer from ${schema.minimum} to ${schema.maximum}`;
    case 'array':
      return `use a list${listSize(schema)}${example}`;
    case 'object':
      return `use a mapping with the fields ${quoted(Object.keys(schema.properties))}`;
    default:
      return `use ${typeNames[schema.type]}${example}`;
  }
}

interface Failure {
  /** The value that failed (for required and additionalProperties: the enclosing mapping). */
  value: unknown;
  /** The schema holding the failed keyword. */
  schema: AnySchemaObject;
  params: ErrorObject['params'];
  /** The user-facing path of a field below the failing one. */
  pathBelow(field: string): string;
}

interface Explanation {
  /** Set when the problem is about a field below the failing value, e.g. a missing one. */
  field?: string;
  text: string;
}

// One entry per ajv keyword the schema uses.
const explainers: Record<string, (failure: Failure) => Explanation> = {
  required: ({ schema, params }) => ({
    field: params.missingProperty,
    text: `required field is missing; ${howToWrite(schema.properties[params.missingProperty])}`,
  }),
  additionalProperties: ({ schema, params }) => {
    const known = Object.keys(schema.properties);
    const guess = closestName(params.additionalProperty, known);
    const hint = guess ? `did you mean ${JSON.stringify(guess)}?` : `allowed here: ${quoted(known)}`;
    return { field: params.additionalProperty, text: `unknown field; ${hint}` };
  },
  uniqueItems: ({ value, params, pathBelow }) => ({
    field: String(params.j),
    text: `${showValue((value as unknown[])[params.j])} is already listed at ${pathBelow(String(params.i))}; list each value once`,
  }),
  type: ({ value, schema }) => ({
    text: `${showValue(value)} is not ${typeNames[schema.type]}; ${howToWrite(schema)}`,
  }),
  enum: ({ value, schema }) => ({
    text: `${showValue(value)} is not allowed; ${howToWrite(schema)}`,
  }),
  pattern: ({ value, schema }) => {
    const hint = patternHints[schema.pattern];
    return { text: `${showValue(value)} is not ${hint.expected}; ${hint.fix}` };
  },
  minimum: ({ value, schema }) => ({
    text: `${showValue(value)} is too small; ${howToWrite(schema)}`,
  }),
  maximum: ({ value, schema }) => ({
    text: `${showValue(value)} is too large; ${howToWrite(schema)}`,
  }),
  minItems: ({ value, schema }) => ({
    text: `${showValue(value)} has too few items; ${howToWrite(schema)}`,
  }),
  maxItems: ({ value, schema }) => ({
    text: `${showValue(value)} has too many items; ${howToWrite(schema)}`,
  }),
  // The only `not` is the control-character rule every string field has.
  not: ({ value, schema }) => ({
    text: `${showValue(value)} holds a control character; ${patternHints[schema.not.pattern].fix}`,
  }),
  maxLength: ({ value, schema }) => ({
    text: `${showValue(value)} is too long; use at most ${schema.maxLength} characters`,
  }),
};

function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Renders a location the way the file reads: `groups[1].vhost.socket`. */
function fieldPath(root: unknown, segments: string[]): string {
  let path = '';
  let node = root;
  for (const segment of segments) {
    if (Array.isArray(node)) path += `[${segment}]`;
    else if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) path += `[${showValue(segment)}]`;
    else path += path === '' ? segment : `.${segment}`;
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[segment] : undefined;
  }
  return path === '' ? '(top level)' : path;
}

function describeError(error: ErrorObject, root: unknown): Problem {
  const segments = pointerSegments(error.instancePath);
  const explain = explainers[error.keyword];
  if (!explain) {
    return { path: fieldPath(root, segments), text: `${showValue(error.data)} ${error.message}` };
  }
  const { field, text } = explain({
    value: error.data,
    schema: error.parentSchema ?? {},
    params: error.params,
    pathBelow: (below) => fieldPath(root, [...segments, below]),
  });
  return { path: fieldPath(root, field === undefined ? segments : [...segments, field]), text };
}

/**
 * Schema problems of `candidate`, at most one per field (a value like 1.5 fails both "integer"
 * and "minimum"; the first says enough). Fills in defaults in `candidate` as a side effect.
 */
export function schemaProblems(candidate: unknown): Problem[] {
  if (validateSchema(candidate)) return [];
  const problems = new Map<string, Problem>();
  // A control character says more than the pattern it also fails: its problem comes first.
  const errors = [...(validateSchema.errors ?? [])].sort(
    (a, b) => Number(b.keyword === 'not') - Number(a.keyword === 'not'),
  );
  for (const error of errors) {
    const problem = describeError(error, candidate);
    if (!problems.has(problem.path)) problems.set(problem.path, problem);
  }
  return [...problems.values()];
}
