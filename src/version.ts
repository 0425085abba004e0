// The version this build is, from package.json (two levels up from dist/src/, or from src/).
import fs from 'fs';
import path from 'path';

function readVersion(): string {
  for (const root of [path.resolve(__dirname, '..', '..'), path.resolve(__dirname, '..')]) {
    try {
      return (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      // not this one
    }
  }
  return 'unknown';
}

export const VERSION = readVersion();
