export { ConfigError } from './config-error';
export { deviceName, isPciDevice } from './device-name';
export { loadConfigFile, validateConfig } from './load';
export { configSchema } from './schema';
export * from './types';
