#!/usr/bin/env node
// Rewrites config/schema.json from src/config/schema.ts (via its build in dist/), for editors that
// validate the YAML files. Run after `npm run build:ts`; a unit test fails while the two differ.
'use strict';

const { writeFileSync } = require('fs');
const { join } = require('path');
const { configSchema } = require('../dist/src/config/schema');

writeFileSync(join(__dirname, '..', 'config', 'schema.json'), `${JSON.stringify(configSchema, null, 2)}\n`);
