#!/usr/bin/env node
// Writes vhost-failover(8), rendered from the CLI's own definition (via its build in dist/), to the
// file named by the first argument, or to stdout. scripts/build-deb packages it.
'use strict';

const { writeFileSync } = require('fs');
const { buildProgram, SOCKET_ENV } = require('../dist/src/cli/program');
const { renderManPage } = require('../dist/src/cli/man-page');

// The page documents the built-in default socket, not the one of whoever builds it.
delete process.env[SOCKET_ENV];
// SOURCE_DATE_EPOCH (reproducible builds) fixes the date in the page's footer.
const epochMs = process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) * 1000 : Date.now();
const page = renderManPage(buildProgram(), new Date(epochMs).toISOString().slice(0, 10));

if (process.argv[2]) writeFileSync(process.argv[2], page);
else process.stdout.write(page);
