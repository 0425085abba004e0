export { Dataplane } from './dataplane';
export type {
  GroupStats,
  GroupStatus,
  GuestAddress,
  NativeEvent,
  PathName,
  PerPath,
  TxDrain,
  UplinkStatus,
} from './dataplane';
