// A reply's shape, to compare what two sides of a boundary return (the addon and the fake addon,
// the daemon and the counter list) by keys, types and nesting rather than by names alone.
import { COUNTER_LIST } from '../../src/dataplane/counter-list';

export type Shape = string | Shape[] | { [key: string]: Shape };

/** Each key's type, nested; an array by its first element's. */
export function shapeOf(value: unknown): Shape {
  if (Array.isArray(value)) return value.length > 0 ? [shapeOf(value[0])] : [];
  if (value === null) return 'null';
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v)]));
  return typeof value;
}

/** groupStats as native/dpdk/hot/counters.def makes it: each counter a number or one per uplink. */
export function groupStatsShape(): Shape {
  const perPath = { primary: 'number', standby: 'number' };
  return {
    ...Object.fromEntries(COUNTER_LIST.map((counter) => [counter.name, counter.perPath ? perPath : 'number'])),
    lastSwitchGapUs: 'number',
  };
}
