import type { Connector } from './connector.ts';
import { fileStreamSinkConnector } from './connectors/file-stream-sink.ts';
import { fileStreamSourceConnector } from './connectors/file-stream-source.ts';
import { httpSinkConnector } from './connectors/http-sink.ts';
import { httpSourceConnector } from './connectors/http-source.ts';
import { postgresSinkConnector } from './connectors/postgres/postgres-sink.ts';
import { postgresCdcSourceConnector } from './connectors/postgres/postgres-source.ts';
import { ConnectError } from './errors.ts';

export interface Plugin {
  /** The Java class name Kafka Connect configurations use. */
  className: string;
  type: 'source' | 'sink';
  create: () => Connector;
}

const PLUGINS: Plugin[] = [
  { className: 'org.apache.kafka.connect.file.FileStreamSourceConnector', type: 'source', create: fileStreamSourceConnector },
  { className: 'org.apache.kafka.connect.file.FileStreamSinkConnector', type: 'sink', create: fileStreamSinkConnector },
  { className: 'io.millrace.connect.http.HttpSinkConnector', type: 'sink', create: httpSinkConnector },
  { className: 'io.millrace.connect.http.HttpSourceConnector', type: 'source', create: httpSourceConnector },
  // Debezium's class name: configurations written for Debezium's PostgreSQL connector work unchanged.
  { className: 'io.debezium.connector.postgresql.PostgresConnector', type: 'source', create: postgresCdcSourceConnector },
  { className: 'io.millrace.connect.postgres.PostgresSinkConnector', type: 'sink', create: postgresSinkConnector },
];

/** The connector plugins there are. */
export function connectorPlugins(): readonly Plugin[] {
  return PLUGINS;
}

/**
 * The plugin `connector.class` names: its full class name, or, as Kafka Connect allows, the simple
 * name (`FileStreamSourceConnector`) or that without "Connector" (`FileStreamSource`).
 */
export function pluginFor(name: string): Plugin {
  const plugin = PLUGINS.find((p) => {
    const simple = p.className.slice(p.className.lastIndexOf('.') + 1);
    return name === p.className || name === simple || name === simple.replace(/Connector$/, '');
  });
  if (!plugin) throw new ConnectError('INVALID_CONFIG', `connector.class: no connector plugin "${name}" (there are ${PLUGINS.map((p) => p.className).join(', ')})`);
  return plugin;
}
