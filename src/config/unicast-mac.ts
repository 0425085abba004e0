// A guest's MAC: six hex pairs, unicast, not all zeros. Bridges and NICs drop frames from a
// multicast or all-zero source, and a VF refuses such a MAC.
import { MAC_PATTERN } from './schema';

const MAC = new RegExp(MAC_PATTERN);

/** What is wrong with `mac` as a guest's MAC, completing "<mac> ..."; undefined when nothing. */
export function unicastMacProblem(mac: string): string | undefined {
  if (!MAC.test(mac)) return 'is not a MAC address (six hex pairs joined by colons)';
  const octets = mac.split(':').map((pair) => parseInt(pair, 16));
  if (octets.every((octet) => octet === 0)) return 'is all zeros';
  if (octets[0] & 1) return 'is a multicast address (odd first octet)';
  return undefined;
}
