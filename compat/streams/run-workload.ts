import { Admin, Consumer, Producer } from '@millrace/client';
import { KafkaStreams, type StreamsConfig } from '@millrace/streams';
import type { Workload } from '../../packages/streams/src/test-support/workload.ts';

/** Waits for `check` to hold, polling. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every record of a topic (all partitions) as the workload renders them, in offset order per partition. */
export async function readAll(bootstrap: string, topic: string, render: (key: Buffer | null, value: Buffer | null, timestamp: number) => string, isolation: 'read_committed' | 'read_uncommitted' = 'read_uncommitted'): Promise<string[]> {
  const admin = new Admin({ brokers: [bootstrap] });
  const ends = await admin.listOffsets(topic, 'latest', { isolation }).finally(() => admin.close());
  const wanted = ends.filter((e) => e.offset > 0);
  if (wanted.length === 0) return [];
  const consumer = new Consumer({ brokers: [bootstrap], isolation, autoCommit: false });
  const out: string[] = [];
  const left = new Set(wanted.map((e) => e.partition));
  const timer = setTimeout(() => void consumer.close(), 30_000);
  try {
    consumer.assign(wanted.map((e) => ({ topic, partition: e.partition, offset: 0 })));
    for await (const batch of consumer.batches()) {
      const end = wanted.find((e) => e.partition === batch.partition)!.offset;
      for (const r of batch.records) if (r.offset < end) out.push(render(r.key, r.value, r.timestamp));
      if ((consumer.position(batch) ?? 0) >= end) left.delete(batch.partition);
      if (left.size === 0) break;
    }
  } finally {
    clearTimeout(timer);
    await consumer.close();
  }
  if (left.size > 0) throw new Error(`reading ${topic} (${isolation}) did not reach the end of partitions ${[...left].join(', ')} (ends ${JSON.stringify(wanted)}) in 30 s`);
  return out;
}

/** Creates the workload's input topics (one partition, so the input order is the processing order) and produces every input, in order. */
export async function produceInputs(bootstrap: string, workload: Workload): Promise<void> {
  const admin = new Admin({ brokers: [bootstrap] });
  await admin.createTopics(workload.inputTopics.map((t) => ({ topic: t, partitions: 1 }))).finally(() => admin.close());
  const producer = new Producer({ brokers: [bootstrap] });
  try {
    for (const row of workload.rows) {
      await producer.send(row.input.topic, [{ key: row.input.key, value: row.input.value, timestamp: row.input.timestamp }]);
    }
  } finally {
    await producer.close();
  }
}

/** The outputs all rows expect of a topic, in row order. */
export function expectedOutput(workload: Workload, topic: string): string[] {
  return workload.rows.flatMap((row) => row.output[topic] ?? []);
}

export function startStreams(workload: Workload, config: StreamsConfig): KafkaStreams {
  return new KafkaStreams(workload.topology(), config);
}
