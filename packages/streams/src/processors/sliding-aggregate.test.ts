import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamsBuilder } from '../dsl/streams-builder.ts';
import { SlidingWindows } from '../dsl/windows.ts';
import { Serdes } from '../serdes.ts';
import { TopologyTestDriver } from '../test-driver.ts';

const str = Serdes.string();

function slidingCounts(grace: number, emit: 'onUpdate' | 'onClose' = 'onUpdate') {
  const windows = SlidingWindows.ofTimeDifference(5000, { grace });
  const b = new StreamsBuilder();
  b.stream('in', { key: str, value: str }).groupByKey().windowedBy(windows).emit(emit).count({ name: 'sliding' })
    .toStream().to('out', { key: Serdes.timeWindowed(str, 5000) });
  const driver = new TopologyTestDriver(b.build());
  const input = driver.inputTopic('in', str, str);
  const output = driver.outputTopic('out', Serdes.timeWindowed(str, 5000), Serdes.int64());
  const read = () => output.readRecordsToList().map((r) => `[${r.key!.window.start};${r.key!.window.end}]=${r.value} @${r.timestamp}`);
  return { driver, input, read };
}

test('sliding windows: the windows Kafka Streams documents for records at 8000, 9200 and 12400 (difference 5000)', () => {
  const { input, read } = slidingCounts(10_000);
  input.pipeInput('A', '1', 8000);
  assert.deepEqual(read(), ['[3000;8000]=1 @8000']);
  input.pipeInput('A', '2', 9200);
  assert.deepEqual(read(), ['[4200;9200]=2 @9200', '[8001;13001]=1 @9200']);
  input.pipeInput('A', '3', 12400);
  assert.deepEqual(read(), ['[7400;12400]=3 @12400', '[8001;13001]=2 @12400', '[9201;14201]=1 @12400']);
});

test('sliding windows: an out-of-order record updates every window it falls in and creates its own', () => {
  const { input, read } = slidingCounts(10_000);
  for (const t of [8000, 9200, 12400]) input.pipeInput('A', 'x', t);
  read();
  input.pipeInput('A', 'x', 10_000);
  assert.deepEqual(read(), ['[5000;10000]=3 @10000', '[7400;12400]=4 @12400', '[8001;13001]=3 @12400', '[9201;14201]=2 @12400', '[10001;15001]=1 @12400']);
});

test('sliding windows: a record whose windows have all closed is dropped and counted; emit on close writes each window once', () => {
  const { driver, input, read } = slidingCounts(0, 'onClose');
  for (const t of [8000, 9200, 20_000]) input.pipeInput('A', 'x', t);
  // Stream time 20000: every window ending before 20000 has closed.
  assert.deepEqual(read().sort(), ['[3000;8000]=1 @8000', '[4200;9200]=2 @9200', '[8001;13001]=1 @9200']);
  input.pipeInput('A', 'x', 9000);
  assert.equal(driver.droppedRecords('late'), 1);
  assert.deepEqual(read(), []);
});
