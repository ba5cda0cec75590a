import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Serdes } from '../serdes.ts';
import { TopologyTestDriver } from '../test-driver.ts';
import { wordCount } from '../../../../examples/streams/word-count.ts';

test('word count: each word\'s running count, at the line\'s timestamp; empty and null lines count nothing', () => {
  const driver = new TopologyTestDriver(wordCount('text-lines', 'word-counts'), { applicationId: 'wc' });
  const input = driver.inputTopic('text-lines', Serdes.string(), Serdes.string());
  const output = driver.outputTopic('word-counts', Serdes.string(), Serdes.decimal());
  input.pipeInput(null, 'Hello Kafka Streams', 1000);
  assert.deepEqual(output.readRecordsToList().map((r) => [r.key, r.value, r.timestamp]), [['hello', 1, 1000], ['kafka', 1, 1000], ['streams', 1, 1000]]);
  input.pipeInput(null, 'All streams lead to Kafka', 2000);
  assert.deepEqual(output.readKeyValuesToList(), [['all', 1], ['streams', 2], ['lead', 1], ['to', 1], ['kafka', 2]]);
  input.pipeInput(null, 'Join Kafka Summit', 3000);
  assert.deepEqual(output.readRecordsToList().map((r) => [r.key, r.value, r.timestamp]), [['join', 1, 3000], ['kafka', 3, 3000], ['summit', 1, 3000]]);
  input.pipeInput(null, '', 4000);
  input.pipeInput(null, null, 5000);
  assert.ok(output.isEmpty());
  assert.equal(driver.droppedRecords('null-value'), 1);
  assert.deepEqual(driver.internalTopics().sort(), ['wc-by-word-repartition', 'wc-counts-changelog']);
  const counts = driver.store<import('../stores/key-value-store.ts').KeyValueStore<string, { value: number }>>('counts');
  assert.deepEqual(Object.fromEntries(counts.all().map(([k, v]) => [k, v.value])), { all: 1, hello: 1, join: 1, kafka: 3, lead: 1, streams: 2, summit: 1, to: 1 });
  driver.close();
});
