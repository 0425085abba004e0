// What the soak believes about the lab after each fault, and the path the failover policy must
// pick for it. The soak runs the policy with no failback delay and no flap damping, so the
// expected path follows from the links and the operator's command alone (docs/design/
// failover-policy.md, rules 1 to 5).
import type { PathName } from '../../src/dataplane/native';

export interface LinkModel {
  /** The primary tap exists and the daemon has it as a port. */
  primaryPresent: boolean;
  /** The primary tap's kernel side is up. */
  primaryUp: boolean;
  standbyUp: boolean;
  command: 'auto' | 'primary' | 'standby';
}

export function initialModel(): LinkModel {
  return { primaryPresent: true, primaryUp: true, standbyUp: true, command: 'auto' };
}

export function expectedPath(model: LinkModel): PathName {
  const primaryUsable = model.primaryPresent && model.primaryUp;
  if (primaryUsable && model.command !== 'standby') return 'primary';
  if (model.standbyUp) return 'standby';
  // Rule 2: with the standby down a usable primary carries traffic, whatever the operator said.
  return primaryUsable ? 'primary' : 'none';
}
