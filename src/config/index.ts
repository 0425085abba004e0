export { ConfigError } from './config-error';
export { deviceName, isPciDevice } from './device-name';
export { loadConfigFile, validateConfig } from './load';
export {
  groupPaths,
  pathsOutside,
  runtimeBridgeProblems,
  runtimeDeviceProblems,
  runtimeDirectories,
} from './runtime-rules';
export { configSchema, DEFAULT_CONTROL_SOCKET, LOG_LEVELS } from './schema';
export * from './types';
