// docs/operator/configuration-reference.md, rendered from the configuration schema
// (src/config/schema.ts): every field with its type, default and meaning, so the reference cannot
// drift from what the daemon accepts. `npm run docs:config` rewrites the file; a unit test renders
// it again and fails while the two differ.
import { writeFileSync } from 'fs';
import path from 'path';
import { format, resolveConfig } from 'prettier';
import { CONTROL_CHARACTER_RULE } from '../src/config/control-characters';
import { configSchema, patternHints } from '../src/config/schema';

export const CONFIG_REFERENCE_FILE = path.join('docs', 'operator', 'configuration-reference.md');
export const REGENERATE_COMMAND = 'npm run docs:config';

/** The parts of a JSON Schema node the reference reads. */
interface SchemaNode {
  description?: string;
  type?: string;
  enum?: readonly unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  pattern?: string;
  items?: SchemaNode;
  properties?: Readonly<Record<string, SchemaNode>>;
  required?: readonly string[];
}

interface Row {
  field: string;
  type: string;
  defaultValue: string;
  meaning: string;
}

const code = (text: string) => `\`${text}\``;
// A table cell holds one line, and '|' would end it. Outside code spans, '*' would start emphasis
// and '<' an HTML tag ("<pf>" would vanish): both are escaped there.
function cell(text: string): string {
  const oneLine = text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
  return oneLine
    .split('`')
    .map((part, i) => (i % 2 === 0 ? part.replace(/[*<]/g, '\\$&') : part))
    .join('`');
}

function range(low: number | undefined, high: number | undefined): string {
  if (low !== undefined && high !== undefined) return `${low}-${high}`;
  if (low !== undefined) return `at least ${low}`;
  return high !== undefined ? `at most ${high}` : '';
}

function typeOf(node: SchemaNode): string {
  if (node.enum) return node.enum.map((value) => code(String(value))).join(', ');
  switch (node.type) {
    case 'integer':
      return ['integer', range(node.minimum, node.maximum)].filter(Boolean).join(' ');
    case 'string': {
      const hint = node.pattern ? patternHints[node.pattern] : undefined;
      const form = hint?.expected ?? (node.pattern ? `matching ${code(node.pattern)}` : 'string');
      const length = node.maxLength !== undefined ? `, at most ${node.maxLength} characters` : '';
      return `${form}${length}${hint ? `: ${hint.fix}` : ''}`;
    }
    case 'array': {
      const limits = [range(node.minItems, node.maxItems), node.uniqueItems ? 'distinct' : ''].filter(Boolean);
      const item = node.items ? typeOf(node.items).replace(/^an? /, '') : 'any value';
      return `list${limits.length ? ` (${limits.join(', ')})` : ''} of ${item}`;
    }
    case 'object':
      return `object of ${Object.keys(node.properties ?? {})
        .map(code)
        .join(', ')}`;
    default:
      return node.type ?? 'any';
  }
}

function defaultOf(node: SchemaNode, required: boolean, optionalAncestor: string | undefined): string {
  const choices = node.items?.enum;
  if (Array.isArray(node.default) && choices && node.default.length === choices.length) return 'all of them';
  if (node.default !== undefined) return code(JSON.stringify(node.default));
  if (!required) return 'none';
  return optionalAncestor ? `required with ${code(optionalAncestor)}` : 'required';
}

/**
 * An optional object with no defaults of its own (a group's `announce`) is one row: its fields
 * fall back as a whole, as its description says. Any other object is its fields, one row each.
 */
function foldsIntoOneRow(node: SchemaNode, required: boolean): boolean {
  const fields = Object.values(node.properties ?? {});
  return (
    !required && node.default === undefined && !node.required?.length && fields.every((f) => f.default === undefined)
  );
}

/**
 * The rows of an object's fields, nested objects flattened to dotted names after a row of their
 * own. A field required inside an optional object is required only with it.
 */
function rowsOf(node: SchemaNode, prefix = '', optionalAncestor?: string): Row[] {
  return Object.entries(node.properties ?? {}).flatMap(([name, field]) => {
    const dotted = prefix + name;
    const required = (node.required ?? []).includes(name);
    const row = {
      field: code(dotted),
      type: typeOf(field),
      defaultValue: defaultOf(field, required, optionalAncestor),
      meaning: field.description ?? '',
    };
    if (field.type !== 'object' || !field.properties || foldsIntoOneRow(field, required)) return [row];
    // The object's own row says what it is for; its fields follow, one row each.
    const fields = rowsOf(field, `${dotted}.`, optionalAncestor ?? (required ? undefined : dotted));
    return field.description ? [row, ...fields] : fields;
  });
}

function table(rows: Row[]): string {
  const lines = rows.map((row) => `| ${[row.field, row.type, row.defaultValue, row.meaning].map(cell).join(' | ')} |`);
  return ['| Field | Type | Default | Meaning |', '| --- | --- | --- | --- |', ...lines].join('\n');
}

function section(name: string, node: SchemaNode, required: boolean): string {
  const items = node.type === 'array' ? node.items : undefined;
  const heading = `## ${code(items ? `${name}[]` : name)}`;
  const count = node.type === 'array' ? ` ${range(node.minItems, node.maxItems)} entries` : '';
  const status = required ? `Required,${count}.` : 'Optional.';
  const description = node.description ? ` ${node.description[0].toUpperCase()}${node.description.slice(1)}.` : '';
  return [heading, `${status}${description}`, table(rowsOf(items ?? node))].join('\n\n');
}

/** The reference as Markdown, before formatting. */
export function configReferenceMarkdown(): string {
  const schema = configSchema as unknown as SchemaNode;
  const intro = [
    '# Configuration reference',
    `<!-- Generated from src/config/schema.ts by \`${REGENERATE_COMMAND}\`; do not edit. -->`,
    'Every field of the configuration file, as the daemon checks it. How the file is read, the rules ' +
      'that span fields and how to change a running daemon are in [Configuration](configuration.md). ' +
      `Every string is refused if it holds a control character: ${CONTROL_CHARACTER_RULE}.`,
  ];
  const sections = Object.entries(schema.properties ?? {}).map(([name, node]) =>
    section(name, node, (schema.required ?? []).includes(name)),
  );
  return `${[...intro, ...sections].join('\n\n')}\n`;
}

/** The reference as committed: the Markdown formatted as the repository's prettier does. */
export async function renderConfigReference(root: string): Promise<string> {
  const file = path.join(root, CONFIG_REFERENCE_FILE);
  const options = (await resolveConfig(file)) ?? {};
  return format(configReferenceMarkdown(), { ...options, filepath: file });
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..', '..');
  renderConfigReference(root)
    .then((markdown) => writeFileSync(path.join(root, CONFIG_REFERENCE_FILE), markdown))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
