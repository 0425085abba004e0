// Puts an uplink's kernel interface (a tap's) into a Linux bridge, up. The daemon creates its
// taps anew each time it starts, so without this a restart under running VMs leaves the standby
// out of the bridge until someone puts it back.
import { execFileSync } from 'child_process';

/** Joins `iface` to `bridge` and sets it up; throws with iproute2's own words if it cannot. */
export function joinBridge(iface: string, bridge: string): void {
  try {
    execFileSync('ip', ['link', 'set', 'dev', iface, 'master', bridge, 'up'], { stdio: 'pipe', timeout: 5000 });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`cannot put ${iface} into bridge ${bridge}: ${stderr || (err as Error).message}`);
  }
}
