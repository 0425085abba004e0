// Checks a bench run's results.json against the references' floors (bench/reference-floors.ts):
// node dist/bench/check-references.js bench/results/<time>/results.json. Exits 1, naming each
// reference below its floor; the bench itself runs the same check at the end of every run.
import fs from 'fs';
import type { BenchReport } from './run';
import { referencesBelowFloor } from './reference-floors';

const file = process.argv[2];
if (!file) {
  console.error('usage: node dist/bench/check-references.js <results.json>');
  process.exit(2);
}
const report = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchReport;
const failures = referencesBelowFloor(report.throughput);
if (failures.length > 0) {
  console.error(`REFERENCE CHECK FAILED for ${file}:\n${failures.join('\n')}`);
  process.exit(1);
}
console.log(`references at or above their floors in ${file}`);
