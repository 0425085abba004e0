// The failback rule of the forwarding core: native code drops a primary whose link goes down on
// its own; this makes it eligible again as soon as its link is back. (A revertive policy with
// failbackDelayMs and flap damping replaces this rule; the wiring stays the same.)
import type { Dataplane, NativeEvent } from '../dataplane';
import type { Logger } from '../log';

export function applyLinkFailback(dataplane: Dataplane, log: Logger): (event: NativeEvent) => void {
  return (event) => {
    if (event.type !== 'link' || event.port !== 'primary' || !event.up) return;
    const applied = dataplane.setPrimaryEligible(event.group, true, 'primary link up: failing back');
    if (!applied) log.warn({ group: event.group }, 'primary link dropped again before failback');
  };
}
