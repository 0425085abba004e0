export { Dataplane, type GroupSettings } from './dataplane';
export { DataplaneGroup } from './dataplane-group';
export { SWITCH_CAUSES } from './native';
export type {
  DecisionCause,
  DpdkLogLine,
  GroupPortStats,
  PortStats,
  SwitchGapEvent,
  GroupStats,
  GroupStatus,
  GuestAddress,
  NativeAddon,
  NativeEvent,
  PathName,
  PathSwitchedEvent,
  PeerCredentials,
  PerPath,
  SwitchCause,
  TxDrain,
  UplinkName,
  UplinkStatus,
} from './native';
