import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Serdes } from '../serdes.ts';
import { TopologyTestDriver } from '../test-driver.ts';
import { StreamsBuilder } from './streams-builder.ts';

const str = Serdes.string();

function run(build: (b: StreamsBuilder) => void, inputs: [string, string | null, string | null, number][], outputs: string[]) {
  const b = new StreamsBuilder();
  build(b);
  const driver = new TopologyTestDriver(b.build(), { applicationId: 'app' });
  for (const [topic, key, value, ts] of inputs) driver.inputTopic(topic, str, str).pipeInput(key, value, ts);
  const result = Object.fromEntries(outputs.map((t) => [t, driver.outputTopic(t, str, str).readRecordsToList().map((r) => `${r.key}=${r.value}@${r.timestamp}`)]));
  return { driver, result };
}

test('filter, filterNot, mapValues, map, flatMap, selectKey and peek keep each record\'s timestamp', () => {
  const peeked: string[] = [];
  const { result } = run((b) => {
    const s = b.stream('in', { key: str, value: str });
    s.filter((_k, v) => v.startsWith('a')).to('kept');
    s.filterNot((_k, v) => v.startsWith('a')).to('dropped');
    s.mapValues((v, k) => `${k}:${v.toUpperCase()}`).to('upper', { value: str });
    s.map((k, v) => [v, k]).to('swapped', { key: str, value: str });
    s.flatMap((k, v) => [...v].map((c): [string, string] => [c, k])).to('chars', { key: str, value: str });
    s.selectKey((_k, v) => v.length.toString()).peek((k, v) => peeked.push(`${k}/${v}`)).to('by-length', { key: str });
  }, [['in', 'k1', 'ab', 1], ['in', 'k2', 'xyz', 2]], ['kept', 'dropped', 'upper', 'swapped', 'chars', 'by-length']);
  assert.deepEqual(result, {
    kept: ['k1=ab@1'],
    dropped: ['k2=xyz@2'],
    upper: ['k1=k1:AB@1', 'k2=k2:XYZ@2'],
    swapped: ['ab=k1@1', 'xyz=k2@2'],
    chars: ['a=k1@1', 'b=k1@1', 'x=k2@2', 'y=k2@2', 'z=k2@2'],
    'by-length': ['2=ab@1', '3=xyz@2'],
  });
  assert.deepEqual(peeked, ['2/ab', '3/xyz']);
});

test('split sends each record to its first matching branch, the rest to the default; merge joins two streams', () => {
  const { result } = run((b) => {
    const branches = b.stream('in', { key: str, value: str }).split({ name: 'route' })
      .branch((_k, v) => v.startsWith('a'), 'a')
      .branch((_k, v) => v.length > 2, 'long')
      .defaultBranch('rest');
    branches.a.to('a');
    branches.long.to('long');
    branches.rest.to('rest');
    branches.a.merge(branches.rest).to('a-or-rest');
  }, [['in', '1', 'abc', 1], ['in', '2', 'xyz', 2], ['in', '3', 'q', 3]], ['a', 'long', 'rest', 'a-or-rest']);
  assert.deepEqual(result, { a: ['1=abc@1'], long: ['2=xyz@2'], rest: ['3=q@3'], 'a-or-rest': ['1=abc@1', '3=q@3'] });
});

test('to() with a topic extractor writes each record to the topic it names', () => {
  const { result } = run((b) => {
    b.stream('in', { key: str, value: str }).to((r) => `out-${r.value}`);
  }, [['in', '1', 'x', 1], ['in', '2', 'y', 2], ['in', '3', 'x', 3]], ['out-x', 'out-y']);
  assert.deepEqual(result, { 'out-x': ['1=x@1', '3=x@3'], 'out-y': ['2=y@2'] });
});

test('repartition writes through <app>-<name>-repartition and reads it back; toTable turns records into upserts and tombstones', () => {
  const { result, driver } = run((b) => {
    b.stream('in', { key: str, value: str }).selectKey((_k, v) => v.split(':')[0]).repartition({ name: 'by-user', key: str }).mapValues((v) => v.split(':')[1]).to('rekeyed', { value: str });
    b.stream('changes', { key: str, value: str }).toTable({ name: 'latest' }).toStream().to('latest-out');
  }, [['in', null, 'u1:a', 1], ['in', null, 'u2:b', 2], ['changes', 'k', 'v1', 3], ['changes', 'k', 'v2', 4], ['changes', 'k', null, 5], ['changes', 'gone', null, 6]], ['rekeyed', 'latest-out']);
  assert.deepEqual(result, { rekeyed: ['u1=a@1', 'u2=b@2'], 'latest-out': ['k=v1@3', 'k=v2@4', 'k=null@5'] });
  assert.deepEqual(driver.internalTopics().sort(), ['app-by-user-repartition', 'app-latest-changelog']);
  assert.deepEqual(driver.producedTopicNames().filter((t) => t.startsWith('app-')).sort(), ['app-by-user-repartition', 'app-latest-changelog']);
});

test('a table filter turns a row that stops passing into a tombstone; mapValues maps both the new and the old value', () => {
  const { result } = run((b) => {
    const t = b.table('prices', { key: str, value: str, name: 'prices' });
    t.filter((_k, v) => Number(v) > 10).toStream().to('expensive');
    t.mapValues((v) => `$${v}`).toStream().to('labelled', { value: str });
  }, [['prices', 'pen', '5', 1], ['prices', 'ink', '20', 2], ['prices', 'ink', '8', 3], ['prices', 'pen', '15', 4], ['prices', 'pen', null, 5]], ['expensive', 'labelled']);
  assert.deepEqual(result, {
    expensive: ['ink=20@2', 'ink=null@3', 'pen=15@4', 'pen=null@5'],
    labelled: ['pen=$5@1', 'ink=$20@2', 'ink=$8@3', 'pen=$15@4', 'pen=null@5'],
  });
});

test('table-table joins: an update on either side, results at the later timestamp, tombstones where the join row goes away', () => {
  const { result } = run((b) => {
    const left = b.table('left', { key: str, value: str, name: 'left' });
    const right = b.table('right', { key: str, value: str, name: 'right' });
    const j = (l: string | null, r: string | null) => `${l ?? '-'}+${r ?? '-'}`;
    left.join(right, j).toStream().to('inner', { value: str });
    left.leftJoin(right, j).toStream().to('left-join', { value: str });
    left.outerJoin(right, j).toStream().to('outer', { value: str });
  }, [
    ['left', 'a', 'L1', 1],
    ['right', 'a', 'R1', 2],
    ['left', 'a', 'L2', 3],
    ['right', 'b', 'R9', 4],
    ['right', 'a', null, 5],
    ['left', 'a', null, 6],
  ], ['inner', 'left-join', 'outer']);
  assert.deepEqual(result, {
    inner: ['a=L1+R1@2', 'a=L2+R1@3', 'a=null@5'],
    'left-join': ['a=L1+-@1', 'a=L1+R1@2', 'a=L2+R1@3', 'a=L2+-@5', 'a=null@6'],
    outer: ['a=L1+-@1', 'a=L1+R1@2', 'a=L2+R1@3', 'b=-+R9@4', 'a=L2+-@5', 'a=null@6'],
  });
});

test('a stateful operator without a name, or a serde the topology cannot know, is refused when the topology is built', () => {
  const b = new StreamsBuilder();
  const s = b.stream('in', { key: str, value: str });
  assert.throws(() => s.groupByKey().count({ name: '' }), /needs a name/);
  assert.throws(() => s.mapValues((v) => v.length).to('out'), /to\(out\)'s value needs a serde/);
  assert.throws(() => s.groupByKey().count({ name: 'bad name' }), /cannot name/);
  s.groupByKey().count({ name: 'twice' });
  assert.throws(() => s.groupByKey().count({ name: 'twice' }), /two stores are named "twice"/);
});
