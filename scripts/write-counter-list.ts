// Writes src/dataplane/counter-list.ts from native/dpdk/hot/counters.def, the one list of the data
// plane's counters, so that TypeScript types them as the addon makes them. After editing the list:
// `npm run build:ts && node dist/scripts/write-counter-list.js && npm run build:ts`. A unit test
// fails while the two differ, and the contract test while the addon was built from another list.
import { readFileSync, writeFileSync } from 'fs';
import path from 'path';
import { format, resolveConfig } from 'prettier';

const ROOT = path.resolve(__dirname, '..', '..');
export const DEF_FILE = path.join(ROOT, 'native', 'dpdk', 'hot', 'counters.def');
export const TS_FILE = path.join(ROOT, 'src', 'dataplane', 'counter-list.ts');

const camelCase = (snake: string) => snake.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());

// One VHFO_COUNTER(...) line's arguments: identifiers, and C string literals read as JSON strings.
function counterArguments(line: string): string[] {
  const args: string[] = [];
  const argument = /\s*("(?:[^"\\]|\\.)*"|[A-Za-z_]\w*)\s*([,)])/y;
  argument.lastIndex = line.indexOf('(') + 1;
  for (let match; (match = argument.exec(line));) {
    args.push(match[1].startsWith('"') ? JSON.parse(match[1]) : match[1]);
    if (match[2] === ')') return args;
  }
  throw new Error(`counters.def: cannot read ${line}`);
}

function counterList(defText: string) {
  return defText
    .split('\n')
    .filter((line) => line.startsWith('VHFO_COUNTER('))
    .map((line) => {
      const [field, paths, direction, metric, reason, label, help] = counterArguments(line);
      return { name: camelCase(field), perPath: paths === 'PER_PATH', direction, metric, reason, label, help };
    });
}

/** counter-list.ts's text for counters.def's, formatted as prettier leaves it. */
export async function counterListSource(defText: string): Promise<string> {
  const source =
    '// Written by scripts/write-counter-list.ts from native/dpdk/hot/counters.def, the one list of the data\n' +
    "// plane's counters: edit that list and run the script, not this file.\n" +
    `export const COUNTER_LIST = ${JSON.stringify(counterList(defText))} as const;\n`;
  return format(source, { ...(await resolveConfig(TS_FILE)), filepath: TS_FILE });
}

if (require.main === module)
  void counterListSource(readFileSync(DEF_FILE, 'utf8')).then((source) => writeFileSync(TS_FILE, source));
