export { Dataplane, type GroupSettings } from './dataplane';
export { DataplaneGroup, primaryMacMode } from './dataplane-group';
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
  PrimaryFaultCause,
  PrimaryFaultEvent,
  RemovalSignal,
  SwitchCause,
  TxDrain,
  UplinkName,
  UplinkStatus,
} from './native';
