import type { SinkRecord, SourceRecord } from './data.ts';

/** A connector's or task's settings, as the properties file or REST call gave them. */
export type ConfigMap = Record<string, string>;

/** One setting a connector reads, as Kafka Connect's ConfigDef describes it (and its REST API reports it). */
export interface ConfigKey {
  name: string;
  type: 'string' | 'int' | 'long' | 'boolean' | 'list' | 'password' | 'class';
  /** Absent: the setting is required; null: it may be left out, and has no default. */
  default?: string | null;
  importance: 'high' | 'medium' | 'low';
  documentation: string;
}

interface ConnectorBase {
  /** The version reported for the plugin. */
  readonly version: string;
  readonly configDef: ConfigKey[];
  /** Checks settings beyond their types (a URL, one of some values), throwing INVALID_CONFIG as "setting: what is wrong". */
  check?(config: ConfigMap): void;
  /** Starts with the connector's settings (checked against `configDef` first). */
  start(config: ConfigMap): Promise<void> | void;
  /** Splits the work into at most `maxTasks` tasks, each given its own settings. */
  taskConfigs(maxTasks: number): ConfigMap[];
  stop(): Promise<void> | void;
}

/** Where a source task finds the offsets stored for it. */
export interface SourceTaskContext {
  /** The offset last stored for a source partition (`{ filename: ... }`), or null. */
  offset(partition: Record<string, unknown>): Record<string, unknown> | null;
  log(message: string): void;
}

/**
 * Reads records from an outside system. The worker stores a record's source offset only once Kafka
 * has acknowledged it, then calls `commit()`: the place to acknowledge upstream.
 */
export interface SourceTask {
  start(config: ConfigMap, context: SourceTaskContext): Promise<void> | void;
  /** The next records, or none after waiting a while; gives up waiting when `signal` aborts. */
  poll(signal: AbortSignal): Promise<SourceRecord[]>;
  commit?(): Promise<void> | void;
  stop(): Promise<void> | void;
}

export interface SinkTaskContext {
  log(message: string): void;
}

/** Writes records to an outside system. The worker commits a record's Kafka offset only after a `flush()` that followed its `put()`. */
export interface SinkTask {
  start(config: ConfigMap, context: SinkTaskContext): Promise<void> | void;
  put(records: SinkRecord[]): Promise<void> | void;
  /** Makes everything put so far durable in the outside system. */
  flush(): Promise<void> | void;
  /** Gives up a `put` still under way (retrying a server that is down, say): the task is stopping, and what it had not delivered is delivered again later. */
  interrupt?(): void;
  stop(): Promise<void> | void;
}

export interface SourceConnector extends ConnectorBase {
  readonly type: 'source';
  createTask(): SourceTask;
}

export interface SinkConnector extends ConnectorBase {
  readonly type: 'sink';
  createTask(): SinkTask;
}

export type Connector = SourceConnector | SinkConnector;
