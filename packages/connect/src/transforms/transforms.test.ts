import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConfigMap } from '../connector.ts';
import type { Schema } from '../data.ts';
import type { ConnectRecord } from './record.ts';
import { formatTimestamp } from './routers.ts';
import { transformChain, transformErrors } from './transforms.ts';

const ORDER: Schema = {
  type: 'struct', optional: false, name: 'shop.Order',
  fields: [{ field: 'id', type: 'int64', optional: false }, { field: 'email', type: 'string', optional: true }, { field: 'total', type: 'float64', optional: false }],
};
const order = (): ConnectRecord & { offset: number } => ({
  topic: 'orders', partition: 2, offset: 41, timestamp: Date.UTC(2026, 11, 4, 13, 5, 9), valueSchema: ORDER, value: { id: 7, email: 'a@b.c', total: 12.5 }, key: null,
});

function chain(config: ConfigMap) {
  assert.deepEqual(transformErrors(config), new Map());
  return transformChain(config);
}

test('InsertField$Value adds the topic, partition, offset, timestamp and a static field, growing the schema', () => {
  const apply = chain({
    transforms: 'insert', 'transforms.insert.type': 'org.apache.kafka.connect.transforms.InsertField$Value',
    'transforms.insert.topic.field': 'source_topic', 'transforms.insert.partition.field': 'p', 'transforms.insert.offset.field': 'o!',
    'transforms.insert.timestamp.field': 'ts', 'transforms.insert.static.field': 'dc', 'transforms.insert.static.value': 'eu-1',
  });
  const out = apply(order())!;
  assert.deepEqual(out.value, { id: 7, email: 'a@b.c', total: 12.5, source_topic: 'orders', p: 2, o: 41, ts: Date.UTC(2026, 11, 4, 13, 5, 9), dc: 'eu-1' });
  assert.deepEqual(out.valueSchema!.fields!.slice(3).map((f) => [f.field, f.type, f.optional, f.name]), [
    ['source_topic', 'string', true, undefined], ['p', 'int32', true, undefined], ['o', 'int64', false, undefined],
    ['ts', 'int64', true, 'org.apache.kafka.connect.data.Timestamp'], ['dc', 'string', true, undefined],
  ]);
  assert.deepEqual(order().value, { id: 7, email: 'a@b.c', total: 12.5 }, 'the input record is not changed');
  // Without a schema, a map gets the fields; a string cannot.
  const schemaless = apply({ topic: 't', offset: 1, value: { a: 1 } })!;
  assert.equal((schemaless.value as Record<string, unknown>).source_topic, 't');
  assert.throws(() => apply({ topic: 't', offset: 1, value: 'text' }), /transforms.insert: InsertField\$Value needs a map \(the record has no schema\), found string/);
});

test('ReplaceField drops, keeps and renames fields; MaskField empties or replaces them, keeping the schema', () => {
  const replaced = chain({
    transforms: 'r', 'transforms.r.type': 'ReplaceField$Value', 'transforms.r.exclude': 'email', 'transforms.r.renames': 'id:order_id,total:amount',
  })(order())!;
  assert.deepEqual(replaced.value, { order_id: 7, amount: 12.5 });
  assert.deepEqual(replaced.valueSchema!.fields!.map((f) => f.field), ['order_id', 'amount']);
  const included = chain({ transforms: 'r', 'transforms.r.type': 'org.apache.kafka.connect.transforms.ReplaceField$Value', 'transforms.r.include': 'id' })(order())!;
  assert.deepEqual(included.value, { id: 7 });

  const masked = chain({ transforms: 'm', 'transforms.m.type': 'org.apache.kafka.connect.transforms.MaskField$Value', 'transforms.m.fields': 'email,total' })(order())!;
  assert.deepEqual(masked.value, { id: 7, email: '', total: 0 });
  assert.deepEqual(masked.valueSchema, ORDER);
  const replacedMask = chain({ transforms: 'm', 'transforms.m.type': 'MaskField$Value', 'transforms.m.fields': 'email', 'transforms.m.replacement': '***' })(order())!;
  assert.equal((replacedMask.value as Record<string, unknown>).email, '***');
});

test('ValueToKey then ExtractField$Key make a field of the value the key, with its schema', () => {
  const out = chain({
    transforms: 'key,extract',
    'transforms.key.type': 'org.apache.kafka.connect.transforms.ValueToKey', 'transforms.key.fields': 'id',
    'transforms.extract.type': 'org.apache.kafka.connect.transforms.ExtractField$Key', 'transforms.extract.field': 'id',
  })(order())!;
  assert.equal(out.key, 7);
  assert.deepEqual(out.keySchema, { type: 'int64', optional: false });
  const structKey = chain({ transforms: 'key', 'transforms.key.type': 'ValueToKey', 'transforms.key.fields': 'id,email' })(order())!;
  assert.deepEqual(structKey.key, { id: 7, email: 'a@b.c' });
  assert.deepEqual(structKey.keySchema!.fields!.map((f) => f.field), ['id', 'email']);
  assert.throws(() => chain({ transforms: 'key', 'transforms.key.type': 'ValueToKey', 'transforms.key.fields': 'nope' })(order()), /the value has no field nope/);
});

test('RegexRouter and TimestampRouter rename topics', () => {
  const routed = chain({ transforms: 'route', 'transforms.route.type': 'org.apache.kafka.connect.transforms.RegexRouter', 'transforms.route.regex': 'dbserver1\\.inventory\\.(.*)', 'transforms.route.replacement': 'inv_$1' });
  assert.equal(routed({ ...order(), topic: 'dbserver1.inventory.customers' })!.topic, 'inv_customers');
  assert.equal(routed({ ...order(), topic: 'xdbserver1.inventory.customers' })!.topic, 'xdbserver1.inventory.customers', 'only a whole-name match is renamed');
  const daily = chain({ transforms: 't', 'transforms.t.type': 'org.apache.kafka.connect.transforms.TimestampRouter' });
  assert.equal(daily(order())!.topic, 'orders-20261204');
  const hourly = chain({ transforms: 't', 'transforms.t.type': 'TimestampRouter', 'transforms.t.topic.format': 'logs_${timestamp}_${topic}', 'transforms.t.timestamp.format': 'yyyy-MM-dd\'T\'HH' });
  assert.equal(hourly(order())!.topic, 'logs_2026-12-04T13_orders');
  assert.equal(formatTimestamp('yy/MM/dd HH:mm:ss.SSS \'\'', Date.UTC(2026, 0, 2, 3, 4, 5, 6)), '26/01/02 03:04:05.006 \'');
});

test('Filter with a predicate drops what matches, or with negate what does not; predicates test topic, header and tombstone', () => {
  const base = { transforms: 'drop', 'transforms.drop.type': 'org.apache.kafka.connect.transforms.Filter', predicates: 'isTest' };
  const dropTest = chain({ ...base, 'transforms.drop.predicate': 'isTest', 'predicates.isTest.type': 'org.apache.kafka.connect.transforms.predicates.TopicNameMatches', 'predicates.isTest.pattern': 'test-.*' });
  assert.equal(dropTest({ ...order(), topic: 'test-orders' }), null);
  assert.equal(dropTest(order())!.topic, 'orders');
  const keepOnlyTest = chain({ ...base, 'transforms.drop.predicate': 'isTest', 'transforms.drop.negate': 'true', 'predicates.isTest.type': 'TopicNameMatches', 'predicates.isTest.pattern': 'test-.*' });
  assert.equal(keepOnlyTest(order()), null);
  const tombstones = chain({ ...base, 'transforms.drop.predicate': 'isTest', 'predicates.isTest.type': 'org.apache.kafka.connect.transforms.predicates.RecordIsTombstone' });
  assert.equal(tombstones({ ...order(), value: null }), null);
  const headers = chain({ ...base, 'transforms.drop.predicate': 'isTest', 'predicates.isTest.type': 'org.apache.kafka.connect.transforms.predicates.HasHeaderKey', 'predicates.isTest.name': 'skip' });
  assert.equal(headers({ ...order(), headers: [{ key: 'skip', value: null }] }), null);
  assert.notEqual(headers({ ...order(), headers: [{ key: 'other', value: null }] }), null);
  // A predicate-guarded InsertField applies only where the predicate holds.
  const tagged = chain({ transforms: 'tag', 'transforms.tag.type': 'InsertField$Value', 'transforms.tag.static.field': 'env', 'transforms.tag.static.value': 'test', 'transforms.tag.predicate': 'isTest', predicates: 'isTest', 'predicates.isTest.type': 'TopicNameMatches', 'predicates.isTest.pattern': 'test-.*' });
  assert.equal((tagged({ ...order(), topic: 'test-x' })!.value as Record<string, unknown>).env, 'test');
  assert.equal((tagged(order())!.value as Record<string, unknown>).env, undefined);
});

test('bad transform settings are reported per setting', () => {
  const errors = transformErrors({
    transforms: 'a,b,c,d', 'transforms.a.type': 'com.example.Nope', 'transforms.c.type': 'RegexRouter', 'transforms.c.regex': '(',
    'transforms.c.replacement': 'x', 'transforms.d.type': 'Filter', 'transforms.d.predicate': 'missing',
  });
  assert.match(errors.get('transforms.a.type')![0], /no such transformation/);
  assert.match(errors.get('transforms.b.type')![0], /Missing required configuration "transforms.b.type"/);
  assert.match(errors.get('transforms.c.regex')![0], /regex: Invalid regular expression/);
  assert.match(errors.get('transforms.d.predicate')![0], /not among predicates/);
  const missing = transformErrors({ transforms: 'm', 'transforms.m.type': 'MaskField$Value' });
  assert.deepEqual([...missing.keys()], ['transforms.m.fields']);
  assert.match(missing.get('transforms.m.fields')![0], /Missing required configuration "transforms.m.fields"/);
});

test('ExtractNewRecordState unwraps a Debezium event to its row; deletes and tombstones go as asked', () => {
  const row: Schema = { type: 'struct', optional: true, name: 'db.public.t.Value', fields: [{ field: 'id', type: 'int32', optional: false }] };
  const envelope: Schema = { type: 'struct', optional: false, fields: [{ ...row, field: 'before' }, { ...row, field: 'after' }, { field: 'op', type: 'string', optional: false }] };
  const event = (op: string, before: unknown, after: unknown): ConnectRecord => ({ topic: 'db.public.t', key: { id: 1 }, valueSchema: envelope, value: { before, after, op } as never });
  const unwrap = chain({ transforms: 'u', 'transforms.u.type': 'io.debezium.transforms.ExtractNewRecordState' });
  const created = unwrap(event('c', null, { id: 1 }))!;
  assert.deepEqual([created.value, created.valueSchema], [{ id: 1 }, row]);
  assert.equal(unwrap(event('d', { id: 1 }, null)), null, 'deletes are dropped by default');
  assert.equal(unwrap({ topic: 'db.public.t', key: { id: 1 }, value: null }), null, 'so are tombstones');
  const keepDeletes = chain({ transforms: 'u', 'transforms.u.type': 'io.debezium.transforms.ExtractNewRecordState', 'transforms.u.drop.tombstones': 'false', 'transforms.u.delete.handling.mode': 'none' });
  assert.equal(keepDeletes(event('d', { id: 1 }, null))!.value, null);
  assert.notEqual(keepDeletes({ topic: 'db.public.t', key: { id: 1 }, value: null }), null);
  const rewrite = chain({ transforms: 'u', 'transforms.u.type': 'io.debezium.transforms.ExtractNewRecordState', 'transforms.u.delete.handling.mode': 'rewrite' });
  assert.deepEqual(rewrite(event('d', { id: 1 }, null))!.value, { id: 1, __deleted: 'true' });
  assert.deepEqual(rewrite(event('u', null, { id: 1 }))!.value, { id: 1, __deleted: 'false' });
});
