import { ConfigError, describeProblem } from './config-error';
import { crossFieldProblems } from './cross-checks';
import { readConfigFile } from './read-config-file';
import { schemaProblems } from './schema-problems';
import { Config } from './types';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/**
 * Checks `raw` (parsed YAML or JSON) and returns it as a Config with defaults applied. The result
 * is a deep-frozen copy, safe to share; `raw` is left untouched. Throws ConfigError listing every
 * problem found, not just the first; `source` names the configuration in that message.
 */
export function validateConfig(raw: unknown, source = '<config>'): Config {
  const candidate = structuredClone(raw);
  const problems = schemaProblems(candidate);
  // A field the schema already rejected gets no second complaint from the cross-field rules.
  const rejected = new Set(problems.map((problem) => problem.path));
  problems.push(...crossFieldProblems(candidate).filter((problem) => !rejected.has(problem.path)));
  if (problems.length > 0) throw new ConfigError(source, problems.map(describeProblem));
  return deepFreeze(candidate as Config);
}

/** Reads, parses and validates a .yaml, .yml or .json configuration file. */
export function loadConfigFile(path: string): Config {
  return validateConfig(readConfigFile(path), path);
}
