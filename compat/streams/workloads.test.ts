// The acceptance workloads of the Streams research, run by KafkaStreams against a broker process
// (at least once and exactly once): every output topic holds exactly the records the test driver
// gives row by row, worked out by hand from Kafka Streams' semantics.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Admin } from '@millrace/client';
import { enrichment } from '../../packages/streams/src/test-support/enrichment.ts';
import { fraudVelocity, fraudWindows } from '../../packages/streams/src/test-support/fraud.ts';
import { sessionization } from '../../packages/streams/src/test-support/sessions.ts';
import { streamJoin } from '../../packages/streams/src/test-support/stream-join.ts';
import { hoppingWindows, tumblingWindows } from '../../packages/streams/src/test-support/tumbling-windows.ts';
import type { Workload } from '../../packages/streams/src/test-support/workload.ts';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { produceInputs, readAll, startStreams, until } from './run-workload.ts';

const workloads: Workload[] = [tumblingWindows, hoppingWindows, sessionization, enrichment, streamJoin, fraudWindows, fraudVelocity];

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

/** Waits until the group has committed every input record. */
async function allInputCommitted(bootstrap: string, applicationId: string, workload: Workload): Promise<boolean> {
  const admin = new Admin({ brokers: [bootstrap] });
  try {
    const lag = await admin.groupLag(applicationId);
    const inputs = lag.filter((l) => workload.inputTopics.includes(l.topic));
    return inputs.length === workload.inputTopics.length && inputs.every((l) => l.lag === 0);
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
        await produceInputs(broker.bootstrap, workload);
        const app = startStreams(workload, { applicationId, brokers: [broker.bootstrap], processingGuarantee: guarantee, commitIntervalMs: 100 });
        await app.start();
        try {
          await until('every input record committed', () => allInputCommitted(broker.bootstrap, applicationId, workload));
          assert.equal(app.state, 'RUNNING');
        } finally {
          await app.close();
        }
        const isolation = guarantee === 'exactly-once' ? 'read_committed' : 'read_uncommitted';
        for (const topic of workload.outputTopics) {
          checkOutput(workload, topic, await readAll(broker.bootstrap, topic, (k, v, ts) => workload.format(topic, k, v, ts), isolation));
        }
      });
    });
  });
}
