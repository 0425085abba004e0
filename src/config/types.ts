// The configuration after validation, with every default filled in: derived from the one schema
// (schema.ts), never restated. A field with a default there is required here, because ajv has
// filled it in by the time anything reads it.
import type { FromSchema } from 'json-schema-to-ts';
import type { configSchema } from './schema';

export type Config = FromSchema<typeof configSchema>;
export type DataplaneConfig = Config['dataplane'];
export type ControlConfig = Config['control'];
export type MetricsConfig = Config['metrics'];
export type AnnounceConfig = Config['announce'];
export type FailoverConfig = Config['failover'];
export type FlapDampingConfig = FailoverConfig['flapDamping'];
export type LogConfig = Config['log'];
export type LogLevel = LogConfig['level'];
export type GroupConfig = Config['groups'][number];
export type UplinkConfig = GroupConfig['primary'];
export type VhostConfig = GroupConfig['vhost'];
export type VhostMode = VhostConfig['mode'];
export type RxMode = GroupConfig['rx'];
export type QmpConfig = NonNullable<GroupConfig['qmp']>;
