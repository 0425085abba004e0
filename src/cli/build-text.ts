// Which build runs, on which DPDK and Node.js: what --version prints and status heads with. The
// DPDK loaded may be a newer minor release of the one the addon was compiled with.
import type { IdentityReply } from '../control/protocol';
import { loadAddon } from '../dataplane/native';
import { VERSION } from '../version';

/** --version: the version alone on the first line (what scripts read), then what it runs on. */
export function versionText(): string {
  let dpdk: string;
  try {
    const addon = loadAddon();
    dpdk = `${addon.dpdkVersion} (addon compiled with ${addon.dpdkBuiltVersion})`;
  } catch (err) {
    dpdk = `DPDK unknown: ${(err as Error).message.split('\n')[0]}`;
  }
  return `${VERSION}\n${dpdk}\nNode.js ${process.versions.node}\n`;
}

/** status's first line: the running daemon's, which may differ from this command's. */
export function identityLine(identity: IdentityReply): string {
  return `vhost-failover ${identity.version} (pid ${identity.pid}) on ${identity.dpdk} (addon compiled with ${identity.dpdkBuilt})\n`;
}
