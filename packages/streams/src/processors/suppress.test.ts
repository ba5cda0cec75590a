import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamsBuilder } from '../dsl/streams-builder.ts';
import { SessionWindows, TimeWindows } from '../dsl/windows.ts';
import { Serdes } from '../serdes.ts';
import { TopologyTestDriver } from '../test-driver.ts';
import { tumblingWindows } from '../test-support/tumbling-windows.ts';
import { sessionization } from '../test-support/sessions.ts';
import { sessionText, windowedText, int64Text } from '../test-support/workload.ts';

const str = Serdes.string();

test('suppress until windows close gives each window once, as emit-on-close does (the tumbling workload)', () => {
  const windows = TimeWindows.ofSize('10s', { grace: '5s' });
  const b = new StreamsBuilder();
  b.stream('events', { key: str, value: str }).groupByKey().windowedBy(windows).count({ name: 'counts' })
    .suppress({ name: 'final-counts', untilWindowCloses: true })
    .toStream().to('final', { key: Serdes.timeWindowed(str, windows.sizeMs) });
  const driver = new TopologyTestDriver(b.build());
  const input = driver.inputTopic('events', str, str);
  const out = driver.outputTopic('final', Serdes.bytes(), Serdes.bytes());
  for (const [i, row] of tumblingWindows.rows.entries()) {
    input.pipeInput(row.input.key, row.input.value, row.input.timestamp);
    const got = out.readRecordsToList().map((r) => `${windowedText(r.key, windows.sizeMs)}=${int64Text(r.value)} @${r.timestamp / 1000}`);
    assert.deepEqual(got.sort(), [...row.output['counts-on-close']].sort(), `row ${i + 1}`);
  }
  driver.close();
});

test('suppress until windows close on session windows matches their emit-on-close (the sessionization workload)', () => {
  const windows = SessionWindows.ofInactivityGap('5s', { grace: '10s' });
  const b = new StreamsBuilder();
  b.stream('activity', { key: str, value: str }).groupByKey().windowedBy(windows).count({ name: 'sessions' })
    .suppress({ name: 'final-sessions', untilWindowCloses: true })
    .toStream().filter((_k, v) => v !== null).to('final', { key: Serdes.sessionWindowed(str) });
  const driver = new TopologyTestDriver(b.build());
  const input = driver.inputTopic('activity', str, str);
  const out = driver.outputTopic('final', Serdes.bytes(), Serdes.bytes());
  for (const [i, row] of sessionization.rows.entries()) {
    input.pipeInput(row.input.key, row.input.value, row.input.timestamp);
    const got = out.readRecordsToList().map((r) => `${sessionText(r.key)}=${int64Text(r.value)} @${r.timestamp / 1000}`);
    assert.deepEqual(got.sort(), [...row.output['sessions-on-close']].sort(), `row ${i + 1}`);
  }
  driver.close();
});

test('suppress until a time limit passes each key\'s latest value on once the limit has passed in stream time; maxRecords sends early', () => {
  const b = new StreamsBuilder();
  b.table('prices', { key: str, value: str, name: 'prices' })
    .suppress({ name: 'calm-prices', untilTimeLimitMs: 5000, maxRecords: 2 })
    .toStream().to('calm', { value: str });
  const driver = new TopologyTestDriver(b.build());
  const prices = driver.inputTopic('prices', str, str);
  const calm = driver.outputTopic('calm', str, str);
  prices.pipeInput('pen', '1', 1000);
  prices.pipeInput('pen', '2', 2000);
  prices.pipeInput('pen', '3', 3000);
  assert.ok(calm.isEmpty());
  prices.pipeInput('ink', '9', 6000);
  assert.deepEqual(calm.readRecordsToList().map((r) => [r.key, r.value, r.timestamp]), [['pen', '3', 3000]]);
  prices.pipeInput('cap', '5', 7000);
  prices.pipeInput('box', '4', 8000);
  // Three keys held, two allowed: the earliest due (ink) goes out early.
  assert.deepEqual(calm.readKeyValuesToList(), [['ink', '9']]);
  driver.close();
});
