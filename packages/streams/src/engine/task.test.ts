import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamsBuilder } from '../dsl/streams-builder.ts';
import { Serdes } from '../serdes.ts';
import { TopologyTestDriver } from '../test-driver.ts';

function topology() {
  const b = new StreamsBuilder();
  b.stream('in', { key: Serdes.string(), value: Serdes.json<{ n: number }>() })
    .mapValues((v) => {
      if (v.n < 0) throw new Error(`negative: ${v.n}`);
      return String(v.n * 2);
    })
    .to('out', { value: Serdes.string() });
  return b.build();
}

function pipeRaw(driver: TopologyTestDriver, value: string, timestamp: number) {
  driver.pipe('in', Buffer.from('k'), Buffer.from(value), timestamp, []);
}

test('a record that cannot be deserialized stops processing by default, naming where it is', () => {
  const driver = new TopologyTestDriver(topology());
  assert.throws(() => pipeRaw(driver, 'not json', 1), (err: Error & { code?: string }) => err.code === 'SERDE' && /in-0@0/.test(err.message));
});

test('with log-and-continue, unreadable records and records a processor throws on are skipped and counted; the rest go on', () => {
  const driver = new TopologyTestDriver(topology(), { onDeserializationError: 'log-and-continue', onProcessingError: 'log-and-continue' });
  pipeRaw(driver, '{"n":1}', 1);
  pipeRaw(driver, 'not json', 2);
  pipeRaw(driver, '{"n":-5}', 3);
  pipeRaw(driver, '{"n":4}', 4);
  assert.deepEqual(driver.outputTopic('out', Serdes.string(), Serdes.string()).readKeyValuesToList().map(([, v]) => v), ['2', '8']);
  assert.equal(driver.droppedRecords('deserialization-error'), 1);
  assert.equal(driver.droppedRecords('processing-error'), 1);
});

test('a processor exception stops processing by default, with the record\'s place in the message', () => {
  const driver = new TopologyTestDriver(topology());
  pipeRaw(driver, '{"n":1}', 1);
  assert.throws(() => pipeRaw(driver, '{"n":-1}', 2), /task 0_0 failed on the record at in-0@1: negative: -1/);
});

test('records with a negative event time are skipped and counted', () => {
  const driver = new TopologyTestDriver(topology());
  pipeRaw(driver, '{"n":1}', -5);
  assert.ok(driver.outputTopic('out', Serdes.string(), Serdes.string()).isEmpty());
  assert.equal(driver.droppedRecords('negative-timestamp'), 1);
});
