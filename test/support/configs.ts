// The smallest valid configs the unit tests build on: one group per index, defaults filled in by
// the real validator, so the tests follow any change to the defaults.
import { validateConfig, type Config } from '../../src/config';

/** A group entry as a config file would hold it: vm<index>, a VF as primary, a tap as standby. */
export function groupEntry(index = 1, overrides: object = {}) {
  return {
    name: `vm${index}`,
    mac: `52:54:00:00:00:0${index}`,
    vhost: { socket: `/tmp/vm${index}.sock` },
    primary: { devargs: `0000:3b:02.${index}` },
    standby: { devargs: `net_tap${index},iface=sb${index}` },
    ...overrides,
  };
}

/** A validated one-group config with `sections` (dataplane, failover, ...) on top. */
export function minimalConfig(sections: object = {}): Config {
  return validateConfig({ groups: [groupEntry()], ...sections });
}
