// The acceptance workloads of the Streams research, run by KafkaStreams against a broker process
// (at least once and exactly once), fed row by row: after each input row the application settles
// (every topic it reads committed to its end, internal ones included), and every output topic
// ends up holding exactly the records worked out by hand from Kafka Streams' semantics.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Admin, Producer } from '@millrace/client';
import { enrichment } from '../../packages/streams/src/test-support/enrichment.ts';
import { foreignKeyJoin } from '../../packages/streams/src/test-support/foreign-key-join.ts';
import { fraudVelocity, fraudWindows } from '../../packages/streams/src/test-support/fraud.ts';
import { sessionization } from '../../packages/streams/src/test-support/sessions.ts';
import { streamJoin } from '../../packages/streams/src/test-support/stream-join.ts';
import { hoppingWindows, tumblingWindows } from '../../packages/streams/src/test-support/tumbling-windows.ts';
import type { Workload } from '../../packages/streams/src/test-support/workload.ts';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { readAll, startStreams, until } from './run-workload.ts';

const workloads: Workload[] = [tumblingWindows, hoppingWindows, sessionization, enrichment, streamJoin, foreignKeyJoin, fraudWindows, fraudVelocity];

/** Compares a topic's records with the rows' expectations, row by row (as sets where a row's order is undefined). */
function checkOutput(workload: Workload, topic: string, got: string[]): void {
  let at = 0;
  workload.rows.forEach((row, i) => {
    const want = row.output[topic] ?? [];
    const part = got.slice(at, at + want.length);
    at += want.length;
    if (row.unordered) assert.deepEqual([...part].sort(), [...want].sort(), `${topic}, row ${i + 1}`);
    else assert.deepEqual(part, want, `${topic}, row ${i + 1}`);
  });
  assert.deepEqual(got.slice(at), [], `${topic}: nothing after the expected records`);
}

/** Whether the group has committed everything of every topic it reads (internal topics too): the application has settled. */
async function settled(bootstrap: string, applicationId: string): Promise<boolean> {
  const admin = new Admin({ brokers: [bootstrap] });
  try {
    const lag = await admin.groupLag(applicationId);
    return lag.length > 0 && lag.every((l) => l.logEndOffset === 0 || l.lag === 0);
  } finally {
    await admin.close();
  }
}

for (const guarantee of ['at-least-once', 'exactly-once'] as const) {
  describe(`Streams workloads against a broker, ${guarantee}`, () => {
    let broker: RunningBroker;
    before(async () => {
      broker = await startBroker();
    });
    after(async () => {
      await broker?.dispose();
    });

    workloads.forEach((workload, i) => {
      test(`${workload.name}`, async () => {
        const applicationId = `acceptance-${i}`;
        const admin = new Admin({ brokers: [broker.bootstrap] });
        await admin.createTopics([...workload.inputTopics, ...workload.outputTopics].map((t) => ({ topic: t, partitions: 1 }))).finally(() => admin.close());
        const isolation = guarantee === 'exactly-once' ? 'read_committed' : 'read_uncommitted';
        const outputs = async (topic: string) => readAll(broker.bootstrap, topic, (k, v, ts) => workload.format(topic, k, v, ts), isolation);
        const app = startStreams(workload, { applicationId, brokers: [broker.bootstrap], processingGuarantee: guarantee, commitIntervalMs: 100 });
        await app.start();
        const producer = new Producer({ brokers: [broker.bootstrap] });
        try {
          const expected = new Map(workload.outputTopics.map((t) => [t, 0]));
          for (const [r, row] of workload.rows.entries()) {
            await producer.send(row.input.topic, [{ key: row.input.key, value: row.input.value, timestamp: row.input.timestamp }]);
            for (const t of workload.outputTopics) expected.set(t, expected.get(t)! + (row.output[t]?.length ?? 0));
            await until(`row ${r + 1} processed`, async () => (await settled(broker.bootstrap, applicationId))
              && (await Promise.all(workload.outputTopics.map(async (t) => (await outputs(t)).length >= expected.get(t)!))).every(Boolean));
          }
          assert.equal(app.state, 'RUNNING');
        } finally {
          await producer.close();
          await app.close();
        }
        for (const topic of workload.outputTopics) checkOutput(workload, topic, await outputs(topic));
      });
    });
  });
}
