#!/usr/bin/env node
// The vhost-failover command. Exit statuses (cli/exit-codes.ts): 0 done, 1 refused by the daemon
// or failed, 2 wrong usage, 3 daemon unreachable, 78 configuration error.
import { ConfigError } from './config';
import { ControlUnreachable } from './control/client';
import { EXIT } from './cli/exit-codes';
import { buildProgram } from './cli/program';

buildProgram()
  .parseAsync(process.argv)
  .catch((err: Error) => {
    process.stderr.write(`vhost-failover: ${err.message}\n`);
    process.exit(
      err instanceof ControlUnreachable ? EXIT.unreachable : err instanceof ConfigError ? EXIT.config : EXIT.refused,
    );
  });
