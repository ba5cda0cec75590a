import type { Admin } from '@millrace/client';
import { StreamsError } from '../errors.ts';
import type { Topology } from '../topology/topology.ts';
import { partitionCounts } from './partition-counts.ts';

/**
 * Reads the partition counts of the topology's source topics, creates the internal topics that do
 * not exist yet (repartition: delete policy, kept forever until purged; changelogs: compacted),
 * and checks that those which exist have the partitions the topology needs.
 */
export async function prepareTopics(admin: Admin, topology: Topology, applicationId: string, replicationFactor: number | undefined): Promise<Map<string, number>> {
  const existing = new Set(await admin.listTopics());
  const userTopics = topology.sourceTopicNames(applicationId);
  const internal = topology.internalTopics.map((t) => ({ ...t, topic: `${applicationId}-${t.name}` }));
  const described = await admin.describeTopics([...userTopics, ...internal.map((t) => t.topic)].filter((t) => existing.has(t)));
  const actual = new Map(described.map((d) => [d.topic, d.partitions.length]));
  const counts = partitionCounts(topology, applicationId, actual);
  const missing = internal.filter((t) => !actual.has(t.topic));
  for (const t of internal.filter((x) => actual.has(x.topic))) {
    if (actual.get(t.topic) !== counts.get(t.topic)) {
      throw new StreamsError('INVALID_TOPOLOGY', `internal topic ${t.topic} has ${actual.get(t.topic)} partitions, the topology needs ${counts.get(t.topic)}: the inputs changed; reset the application (delete its internal topics) to start over`);
    }
  }
  for (const t of missing) {
    await admin.createTopics([{ topic: t.topic, partitions: counts.get(t.topic)!, replicationFactor, configs: { ...t.configs, 'message.timestamp.type': 'CreateTime' } }])
      .catch((err: { code?: string }) => {
        // Another instance of the application created it first.
        if (err.code !== 'TOPIC_ALREADY_EXISTS') throw err;
      });
  }
  return counts;
}
