import { Admin, Consumer } from '@millrace/client';
import { KafkaStreams, type StreamsConfig } from '@millrace/streams';
import { readUntil } from '../../packages/streams/src/runtime/read-to-end.ts';
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
  const reached = (e: { partition: number; offset: number }) => (consumer.position({ topic, partition: e.partition }) ?? 0) >= e.offset;
  const deadline = Date.now() + 30_000;
  try {
    consumer.assign(wanted.map((e) => ({ topic, partition: e.partition, offset: 0 })));
    await readUntil(consumer, (batch) => {
      const end = wanted.find((e) => e.partition === batch.partition)!.offset;
      for (const r of batch.records) if (r.offset < end) out.push(render(r.key, r.value, r.timestamp));
    }, () => wanted.every(reached) || Date.now() > deadline);
    const stuck = wanted.filter((e) => !reached(e));
    if (stuck.length > 0) throw new Error(`reading ${topic} (${isolation}) did not reach ${JSON.stringify(stuck)} in 30 s: positions ${stuck.map((e) => consumer.position({ topic, partition: e.partition })).join(', ')}`);
  } finally {
    await consumer.close();
  }
  return out;
}

/** A word count's output, read_committed: each word's counts in the order written (they must go 1, 2, 3, ... with none missing or repeated). */
export async function countsByWord(bootstrap: string, topic: string): Promise<Map<string, number[]>> {
  const byWord = new Map<string, number[]>();
  for (const entry of await readAll(bootstrap, topic, (k, v) => `${String(k)}=${String(v)}`, 'read_committed')) {
    const [word, count] = entry.split('=');
    byWord.set(word, [...(byWord.get(word) ?? []), Number(count)]);
  }
  return byWord;
}

export function startStreams(workload: Workload, config: StreamsConfig): KafkaStreams {
  return new KafkaStreams(workload.topology(), config);
}
