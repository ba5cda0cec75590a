import { statfs } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  ApiKey, createDescribeLogDirsResponse, createDescribeLogDirsResponseDescribeLogDirsPartition, createDescribeLogDirsResponseDescribeLogDirsResult,
  createDescribeLogDirsResponseDescribeLogDirsTopic, type DescribeLogDirsRequest, type DescribeLogDirsResponse, ErrorCode,
} from '@millrace/protocol';
import { AclOperation } from '@millrace/security';
import type { Handler } from '../handler.ts';
import type { Partition } from '../partition.ts';
import { canCluster } from '../security/authorizer.ts';

/** The file system's size and free space under the data directory (v4), or -1 where it cannot say. */
async function diskSpace(dir: string): Promise<{ totalBytes: bigint; usableBytes: bigint }> {
  try {
    const s = await statfs(dir, { bigint: true });
    return { totalBytes: s.blocks * s.bsize, usableBytes: s.bavail * s.bsize };
  } catch {
    return { totalBytes: -1n, usableBytes: -1n };
  }
}

/**
 * The size of each partition replica this broker holds, in its one log directory (the data
 * directory): what kafka-log-dirs.sh and the consoles that show topic sizes ask for. Kafka answers
 * nothing (and, from v3, CLUSTER_AUTHORIZATION_FAILED) without DESCRIBE on the cluster.
 */
export const describeLogDirsHandler: Handler<DescribeLogDirsRequest, DescribeLogDirsResponse> = {
  apiKey: ApiKey.DescribeLogDirs,
  versions: { min: 0, max: 4 },
  async handle(ctx, request) {
    if (!canCluster(ctx, AclOperation.DESCRIBE)) return createDescribeLogDirsResponse({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] });
    const topics = ctx.broker.topics;
    // Null asks for every partition; a named topic or partition this broker does not hold is left out.
    const wanted = request.topics === null
      ? topics.list().map((t) => [t.record.name, t.partitions] as const)
      : request.topics.map((t) => [t.topic, t.partitions.flatMap((i) => topics.partition(t.topic, i) ?? [])] as const);
    const held = (p: Partition) => p.role !== 'none';
    const described = wanted
      .map(([name, partitions]) => createDescribeLogDirsResponseDescribeLogDirsTopic({
        name,
        partitions: partitions.filter(held).map((p) => createDescribeLogDirsResponseDescribeLogDirsPartition({
          partitionIndex: p.index,
          partitionSize: BigInt(p.log.sizeInBytes),
          // Kafka's: how far the log's end is behind the high watermark this broker knows.
          offsetLag: BigInt(Math.max(0, p.log.highWatermark - p.log.logEndOffset)),
          isFutureKey: false,
        })),
      }))
      .filter((t) => t.partitions.length > 0);
    const dir = resolve(topics.dataDir);
    return createDescribeLogDirsResponse({
      results: [createDescribeLogDirsResponseDescribeLogDirsResult({ errorCode: ErrorCode.NONE, logDir: dir, topics: described, ...(await diskSpace(dir)) })],
    });
  },
};
