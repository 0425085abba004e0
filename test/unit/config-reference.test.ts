// The committed configuration reference is the one the schema renders: a field added, a default
// changed or a description reworded in src/config/schema.ts shows up in the operator's docs.
import { strict as assert } from 'assert';
import { readFileSync } from 'fs';
import path from 'path';
import {
  CONFIG_REFERENCE_FILE,
  REGENERATE_COMMAND,
  configReferenceMarkdown,
  renderConfigReference,
} from '../../scripts/config-reference';
import { configSchema } from '../../src/config/schema';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('configuration reference', function () {
  it(`is up to date with the schema (${REGENERATE_COMMAND} rewrites it)`, async function () {
    const committed = readFileSync(path.join(ROOT, CONFIG_REFERENCE_FILE), 'utf8');
    const rendered = await renderConfigReference(ROOT);
    assert.ok(committed === rendered, `${CONFIG_REFERENCE_FILE} is stale: run \`${REGENERATE_COMMAND}\``);
  });

  it('has a section for every top-level setting and a row for every field with its default', function () {
    const markdown = configReferenceMarkdown();
    for (const name of Object.keys(configSchema.properties)) assert.match(markdown, new RegExp(`^## \`${name}`, 'm'));
    assert.match(markdown, /^\| `linkPollIntervalUs` \| integer 10-1000000 \| `1000` \|/m);
    assert.match(markdown, /^\| `flapDamping\.holdMs` \| integer 0-86400000 \| `30000` \| how long/m);
    assert.match(markdown, /^\| `qmp\.device` \| string \| required with `qmp` \|/m);
    assert.match(markdown, /^\| `announce` \| object of `rounds`, /m);
  });
});
