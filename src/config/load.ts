import fs from 'fs';
import path from 'path';
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

/**
 * Per-VM drop-ins: each .yaml, .yml or .json file in this directory beside the config file holds
 * one group, added after the file's own groups in name order, so that an orchestrator writes one
 * file per VM and `reload` picks it up. Held to the same owner and mode rules as the file.
 */
export const GROUP_DROP_IN_DIRECTORY = 'groups.d';
const DROP_IN_FILE = /^[^.].*\.(ya?ml|json)$/i;

function groupDropIns(configFile: string): { file: string; group: unknown }[] {
  const directory = path.join(path.dirname(configFile), GROUP_DROP_IN_DIRECTORY);
  let names: string[];
  try {
    names = fs.readdirSync(directory);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ConfigError(directory, [`cannot list the group drop-ins (${(err as Error).message})`]);
  }
  return names
    .filter((name) => DROP_IN_FILE.test(name))
    .sort()
    .map((name) => {
      const file = path.join(directory, name);
      const group = readConfigFile(file);
      if (typeof group !== 'object' || group === null || Array.isArray(group))
        throw new ConfigError(file, [
          'a group drop-in holds one group: a mapping with name, mac, vhost, primary, standby',
        ]);
      return { file, group };
    });
}

/** Reads, parses and validates a .yaml, .yml or .json configuration file and its group drop-ins. */
export function loadConfigFile(file: string): Config {
  const raw = readConfigFile(file);
  const dropIns = groupDropIns(file);
  if (dropIns.length === 0) return validateConfig(raw, file);
  const own = (raw as { groups?: unknown }).groups;
  const ownGroups = Array.isArray(own) ? own : [];
  const merged = { ...(raw as object), groups: [...ownGroups, ...dropIns.map((dropIn) => dropIn.group)] };
  try {
    return validateConfig(merged, `${file} with ${dropIns.length} group drop-ins`);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // groups[N] past the file's own groups is a drop-in's: name its file instead.
    const named = err.problems.map((problem) =>
      problem.replace(/^groups\[(\d+)\](\.?)/, (whole, index: string, dot: string) => {
        const dropIn = dropIns[Number(index) - ownGroups.length];
        if (!dropIn) return whole;
        return dot ? `${dropIn.file}: ` : dropIn.file;
      }),
    );
    throw new ConfigError(err.source, named);
  }
}
