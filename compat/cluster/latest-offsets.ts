// The latest offsets of a topic's partitions in a cluster, each asked of its leader.
import { Connection } from '@millrace/client';
import {
  ApiKey, createListOffsetsRequest, createListOffsetsRequestListOffsetsPartition, createListOffsetsRequestListOffsetsTopic, type ListOffsetsResponse,
} from '@millrace/protocol';
import { runTool } from '../harness/run-tool.ts';

interface Address {
  host: string;
  port: number;
}

/**
 * Each partition's latest offset, asked of its leader (found through `bootstrap`): the high
 * watermark, or with isolation level 1 the last stable offset (below any open transaction).
 */
export async function latestOffsets(bootstrap: string, topic: string, isolationLevel: 0 | 1): Promise<bigint[]> {
  const { stdout } = await runTool('kcat', ['-b', bootstrap, '-L', '-J', '-t', topic, '-m', '5'], { timeoutMs: 30_000 });
  const md = JSON.parse(stdout) as { brokers: { id: number; name: string }[]; topics: { partitions: { partition: number; leader: number }[] }[] };
  const addresses = new Map<number, Address>(md.brokers.map((b) => {
    const at = b.name.lastIndexOf(':');
    return [b.id, { host: b.name.slice(0, at), port: Number(b.name.slice(at + 1)) }];
  }));
  const offsets: bigint[] = [];
  for (const p of md.topics[0].partitions.sort((a, b) => a.partition - b.partition)) {
    const leader = addresses.get(p.leader);
    if (!leader) throw new Error(`partition ${p.partition} of ${topic} has no leader`);
    const connection = await Connection.open(leader.host, leader.port);
    try {
      const response = await connection.request<ListOffsetsResponse>(ApiKey.ListOffsets, 5, createListOffsetsRequest({
        replicaId: -1, isolationLevel,
        topics: [createListOffsetsRequestListOffsetsTopic({ name: topic, partitions: [createListOffsetsRequestListOffsetsPartition({ partitionIndex: p.partition, timestamp: -1n })] })],
      }));
      offsets.push(response.topics[0].partitions[0].offset);
    } finally {
      connection.close();
    }
  }
  return offsets;
}

/** True once no partition of `topic` has an open transaction: each last stable offset is its high watermark. */
export async function noOpenTransaction(bootstrap: string, topic: string): Promise<boolean> {
  const [stable, end] = [await latestOffsets(bootstrap, topic, 1), await latestOffsets(bootstrap, topic, 0)];
  return stable.every((o, p) => o === end[p]);
}
