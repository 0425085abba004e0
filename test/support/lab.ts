// One lab topology per test, stopped after it whether it passed or not.
import type { Config } from '../../src/config';
import { Topology } from '../../lab/topology';

export interface Lab {
  /** `wrapper`: a command the daemon runs under (Topology.start). */
  start(config?: Config, wrapper?: string[]): Promise<Topology>;
}

/** Call inside a describe(): each test's topology is stopped in an afterEach hook. */
export function topologyPerTest(): Lab {
  let current: Topology | undefined;
  afterEach(async function () {
    const topology = current;
    current = undefined;
    await topology?.stop();
  });
  return {
    async start(config?: Config, wrapper?: string[]) {
      // A second topology in one test replaces the first.
      const previous = current;
      current = undefined;
      await previous?.stop();
      current = await Topology.start(config, wrapper);
      return current;
    },
  };
}
