export { Dataplane } from './dataplane';
export type { GroupStats, GroupStatus, NativeEvent, PathName, PerPath, UplinkStatus } from './dataplane';
