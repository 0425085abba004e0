// Reads a configuration file into plain data, reporting syntax errors by line and column.

import { extname } from 'path';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError } from './config-error';
import { readTrustedFile, UntrustedFileError } from './trusted-file';

// JSON is YAML with the JSON schema, so one parser gives both formats the same line/column
// reports; the JSON schema rejects unquoted strings, which JSON does not have.
const syntaxByExtension: Record<string, { schema: 'core' | 'json'; format: string }> = {
  '.yaml': { schema: 'core', format: 'YAML' },
  '.yml': { schema: 'core', format: 'YAML' },
  '.json': { schema: 'json', format: 'JSON' },
};

export function readConfigFile(file: string): unknown {
  const extension = extname(file);
  const syntax = syntaxByExtension[extension.toLowerCase()];
  if (!syntax) {
    const problem = `unsupported file type ${JSON.stringify(extension)}; use a .yaml, .yml or .json file`;
    throw new ConfigError(file, [problem]);
  }
  let text: string;
  try {
    text = readTrustedFile(file);
  } catch (err) {
    const { message } = err as Error;
    const problem =
      err instanceof UntrustedFileError
        ? `root or the daemon's user alone may be able to change it: ${message}`
        : `cannot read the file (${message}); check the path and permissions`;
    throw new ConfigError(file, [problem]);
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { schema: syntax.schema, lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    const problems = document.errors.map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return `line ${line}, column ${col}: ${syntax.format} syntax error: ${error.message}`;
    });
    throw new ConfigError(file, problems);
  }
  return document.toJS();
}
