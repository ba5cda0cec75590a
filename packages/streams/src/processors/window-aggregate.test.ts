import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamsBuilder } from '../dsl/streams-builder.ts';
import { TimeWindows } from '../dsl/windows.ts';
import { Serdes } from '../serdes.ts';
import { TopologyTestDriver } from '../test-driver.ts';

test('emit on close: windows closed by a jump in stream time far past the retention are still emitted', () => {
  const windows = TimeWindows.ofSize('10s', { grace: '5s' });
  const builder = new StreamsBuilder();
  builder.stream('in', { key: Serdes.string(), value: Serdes.string() }).groupByKey()
    .windowedBy(windows).emit('onClose').count({ name: 'c' })
    .toStream().to('out', { key: Serdes.timeWindowed(Serdes.string(), windows.sizeMs) });
  const driver = new TopologyTestDriver(builder.build());
  const input = driver.inputTopic('in', Serdes.string(), Serdes.string());
  input.pipeInput('A', 'x', 1000);
  input.pipeInput('A', 'x', 12_000);
  input.pipeInput('B', 'x', 500_000);
  const out = driver.outputTopic('out', Serdes.timeWindowed(Serdes.string(), windows.sizeMs), Serdes.int64()).readRecordsToList();
  assert.deepEqual(out.map((r) => [r.key!.key, r.key!.window.start, r.value]), [['A', 0, 1], ['A', 10_000, 1]]);
  driver.close();
});
