import type { Admin } from '@millrace/client';
import { ConnectError } from '../errors.ts';
import type { OffsetStore } from './offset-store.ts';

/** One entry of `GET /connectors/{name}/offsets`, as Kafka Connect shapes it (KIP-875); a null offset resets the partition. */
export interface ConnectorOffset {
  partition: Record<string, unknown>;
  offset: Record<string, unknown> | null;
}

export const sinkGroup = (connector: string) => `connect-${connector}`;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A source connector's offsets from the store; a sink's, its consumer group's committed offsets. */
export async function readOffsets(type: 'source' | 'sink', name: string, store: OffsetStore, admin: Admin): Promise<ConnectorOffset[]> {
  if (type === 'source') return store.partitionOffsets(name).map(([partition, offset]) => ({ partition, offset }));
  const committed = await admin.fetchOffsets(sinkGroup(name));
  return committed.filter((c) => c.offset >= 0).map((c) => ({ partition: { kafka_topic: c.topic, kafka_partition: c.partition }, offset: { kafka_offset: c.offset } }));
}

/** Checks a PATCH body's offsets: BAD_REQUEST naming the first entry that is not of the shape the connector's type takes. */
export function checkOffsets(type: 'source' | 'sink', body: unknown): ConnectorOffset[] {
  if (!isObject(body) || !Array.isArray(body.offsets)) throw new ConnectError('BAD_REQUEST', 'The body must be {"offsets": [{"partition": {...}, "offset": {...} or null}, ...]}');
  return body.offsets.map((entry: unknown, i: number) => {
    if (!isObject(entry) || !isObject(entry.partition) || !(entry.offset === null || isObject(entry.offset))) {
      throw new ConnectError('BAD_REQUEST', `offsets[${i}] must be {"partition": {...}, "offset": {...} or null}`);
    }
    if (type === 'sink') {
      const { kafka_topic: topic, kafka_partition: partition } = entry.partition;
      if (typeof topic !== 'string' || !Number.isInteger(partition) || (partition as number) < 0) throw new ConnectError('BAD_REQUEST', `offsets[${i}].partition must be {"kafka_topic": "...", "kafka_partition": N}`);
      const offset = entry.offset?.kafka_offset;
      if (entry.offset !== null && (!Number.isInteger(offset) || (offset as number) < 0)) throw new ConnectError('BAD_REQUEST', `offsets[${i}].offset must be {"kafka_offset": N} with N >= 0, or null`);
    }
    return { partition: entry.partition, offset: entry.offset as Record<string, unknown> | null };
  });
}

/** Writes offsets (null ones reset their partition), or with `reset` forgets every offset of the connector. */
export async function alterOffsets(type: 'source' | 'sink', name: string, store: OffsetStore, admin: Admin, offsets: ConnectorOffset[] | 'reset'): Promise<void> {
  if (type === 'source') {
    const entries = offsets === 'reset' ? store.partitionOffsets(name).map(([partition]): [Record<string, unknown>, null] => [partition, null]) : offsets.map((o): [Record<string, unknown>, Record<string, unknown> | null] => [o.partition, o.offset]);
    await store.write(name, entries);
    return;
  }
  const group = sinkGroup(name);
  if (offsets === 'reset') {
    await admin.deleteGroups([group]).catch((err: { code?: string }) => {
      if (err.code !== 'GROUP_ID_NOT_FOUND') throw err;
    });
    return;
  }
  const byTopic = new Map<string, { set: Record<number, number>; reset: number[] }>();
  for (const o of offsets) {
    const topic = o.partition.kafka_topic as string;
    let entry = byTopic.get(topic);
    if (!entry) byTopic.set(topic, (entry = { set: {}, reset: [] }));
    if (o.offset === null) entry.reset.push(o.partition.kafka_partition as number);
    else entry.set[o.partition.kafka_partition as number] = o.offset.kafka_offset as number;
  }
  for (const [topic, { set, reset }] of byTopic) {
    if (Object.keys(set).length > 0) await admin.resetOffsets(group, { topic, to: { offsets: set } });
    if (reset.length > 0) await admin.deleteOffsets(group, topic, reset);
  }
}

/** Offsets change only while the connector is STOPPED, as Kafka Connect requires. */
export function requireStopped(name: string, state: string): void {
  if (state !== 'STOPPED') {
    throw new ConnectError('BAD_REQUEST', `Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/${name}/stop' endpoint`);
  }
}
