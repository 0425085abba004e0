import { escapeControlCharacters } from './control-characters';

/** One thing wrong with a configuration: the field it is about and what to do. */
export interface Problem {
  /** The field as the user would write it, e.g. `groups[1].mac`. */
  path: string;
  /** What is wrong and how to fix it, e.g. `"x" is not allowed; use one of "a", "b"`. */
  text: string;
}

export function describeProblem(problem: Problem): string {
  return `${problem.path}: ${problem.text}`;
}

/** Thrown when a configuration cannot be read, parsed or validated; lists every problem found. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    // One problem, one line (as a service manager's journal shows it); several, one line each.
    super(
      problems.length === 1
        ? `cannot use configuration ${source}: ${problems[0]}`
        : `cannot use configuration ${source} (${problems.length} problems):\n  ${problems.join('\n  ')}`,
    );
    this.name = 'ConfigError';
  }
}

const MAX_SHOWN_VALUE_LENGTH = 80;

/**
 * The value as JSON, shortened so that one problem stays one readable line; control characters
 * JSON leaves as they are (DEL, C1) are escaped too.
 */
export function showValue(value: unknown): string {
  const json = escapeControlCharacters(JSON.stringify(value) ?? String(value));
  return json.length > MAX_SHOWN_VALUE_LENGTH ? `${json.slice(0, MAX_SHOWN_VALUE_LENGTH - 3)}...` : json;
}
