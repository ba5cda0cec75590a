import { ApiKey, createDescribeLogDirsRequest, createDescribeLogDirsRequestDescribableLogDirTopic, type DescribeLogDirsResponse, ErrorCode } from '@millrace/protocol';
import { describeCluster } from './admin-cluster.ts';
import { allOrThrow, partitionsOf, requireName } from './admin-util.ts';
import type { Cluster } from './cluster.ts';
import { KafkaError } from './errors.ts';

const DESCRIBE_LOG_DIRS_VERSIONS = [0, 4] as const;

export interface ReplicaSize {
  topic: string;
  partition: number;
  /** Bytes of the replica's log. */
  sizeBytes: number;
  /** How far the replica's end is behind the high watermark its broker knows. */
  offsetLag: number;
}

export interface LogDirDescription {
  broker: number;
  logDir: string;
  /** The disk's size and free space under the directory; null from brokers before Kafka 3.3 (DescribeLogDirs v4). */
  totalBytes: number | null;
  usableBytes: number | null;
  replicas: ReplicaSize[];
}

/** Every broker's log directories and the size of each replica in them: of all topics, or of those named. */
export async function describeLogDirs(cluster: Cluster, topics?: string[]): Promise<LogDirDescription[]> {
  for (const t of topics ?? []) requireName(t, 'topic');
  const partitions = topics ? await partitionsOf(cluster, topics) : null;
  const request = createDescribeLogDirsRequest({
    topics: partitions && [...partitions].map(([topic, ps]) => createDescribeLogDirsRequestDescribableLogDirTopic({ topic, partitions: ps.map((p) => p.partition) })),
  });
  const { brokers } = await describeCluster(cluster);
  // Requests go to each broker by id: the metadata must know them all.
  if (!partitions) await cluster.refresh([]);
  const perBroker = await allOrThrow('DescribeLogDirs', brokers.map(async (b) => {
    const { response, version } = await cluster.retrying(() => cluster.send<DescribeLogDirsResponse>(b.nodeId, ApiKey.DescribeLogDirs, DESCRIBE_LOG_DIRS_VERSIONS, () => request));
    if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode, { api: 'DescribeLogDirs', message: `broker ${b.nodeId}` });
    return response.results.map((dir): LogDirDescription => {
      if (dir.errorCode !== ErrorCode.NONE) throw new KafkaError(dir.errorCode, { api: 'DescribeLogDirs', message: `broker ${b.nodeId}, ${dir.logDir}` });
      return {
        broker: b.nodeId,
        logDir: dir.logDir,
        totalBytes: version >= 4 && dir.totalBytes >= 0n ? Number(dir.totalBytes) : null,
        usableBytes: version >= 4 && dir.usableBytes >= 0n ? Number(dir.usableBytes) : null,
        replicas: dir.topics
          .flatMap((t) => t.partitions.filter((p) => !p.isFutureKey).map((p) => ({ topic: t.name, partition: p.partitionIndex, sizeBytes: Number(p.partitionSize), offsetLag: Number(p.offsetLag) })))
          .sort((x, y) => (x.topic < y.topic ? -1 : x.topic > y.topic ? 1 : x.partition - y.partition)),
      };
    });
  }));
  return perBroker.flat();
}
