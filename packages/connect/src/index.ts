export { ConnectError } from './errors.ts';
export type { ConnectValue, FieldSchema, Schema, SchemaType, SinkRecord, SourceRecord } from './data.ts';
export type { ConfigKey, ConfigMap, Connector, SinkConnector, SinkTask, SinkTaskContext, SourceConnector, SourceTask, SourceTaskContext } from './connector.ts';
export type { Converter, SchemaAndValue } from './converters/converter.ts';
export { converterFor } from './converters/converters.ts';
export { connectorPlugins, pluginFor } from './plugins.ts';
export { startStandaloneWorker, type RunningWorker } from './standalone.ts';
export { startDistributedWorker } from './distributed.ts';
export type { TaskStatus, TaskStateName } from './runtime/task-state.ts';
