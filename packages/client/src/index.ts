export { Connection, ConnectionError } from './connection.ts';
export { Cluster, type ClusterOptions } from './cluster.ts';
export { KafkaError, ClientError } from './errors.ts';
export { Producer, type ProducerOptions, type Message, type RecordMetadata, type CompressionName } from './producer.ts';
export { murmur2, partitionForKey } from './partitioner.ts';
