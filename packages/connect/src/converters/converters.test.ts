import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Schema } from '../data.ts';
import { ConnectError } from '../errors.ts';
import { converterFor } from './converters.ts';

const JSON_CONVERTER = 'org.apache.kafka.connect.json.JsonConverter';
const text = (b: Buffer | null) => (b === null ? null : b.toString('utf8'));

test('JsonConverter with schemas writes Kafka\'s envelope, and reads it back with bytes and int64 exact', () => {
  const converter = converterFor('value.converter', { 'value.converter': JSON_CONVERTER });
  // What Kafka's FileStreamSource writes with the default JsonConverter.
  assert.equal(text(converter.fromConnectData('lines', { type: 'string', optional: false }, 'hello')), '{"schema":{"type":"string","optional":false},"payload":"hello"}');
  const schema: Schema = {
    type: 'struct', optional: false, name: 'shop.orders.Value', fields: [
      { field: 'id', type: 'int64', optional: false },
      { field: 'note', type: 'string', optional: true },
      { field: 'blob', type: 'bytes', optional: true },
      { field: 'tags', type: 'array', optional: false, items: { type: 'string', optional: false } },
    ],
  };
  const value = { id: 9007199254740993n, note: null, blob: Buffer.from([0, 255]), tags: ['a'] };
  const bytes = converter.fromConnectData('orders', schema, value);
  assert.equal(text(bytes), `{"schema":${JSON.stringify(schema)},"payload":{"id":9007199254740993,"note":null,"blob":"AP8=","tags":["a"]}}`);
  assert.deepEqual(converter.toConnectData('orders', bytes), { schema, value });
  assert.equal(converter.fromConnectData('orders', undefined, null), null, 'no schema and no value: a tombstone');
  assert.deepEqual(converter.toConnectData('orders', null), { value: null });
});

test('JsonConverter with schemas refuses plain JSON, naming the setting; without schemas it reads and writes plain JSON', () => {
  const enveloped = converterFor('value.converter', { 'value.converter': JSON_CONVERTER });
  assert.throws(() => enveloped.toConnectData('t', Buffer.from('{"id":1}')), (err: unknown) => err instanceof ConnectError && err.code === 'CONVERSION' && /schemas.enable=false/.test(err.message));
  assert.throws(() => enveloped.toConnectData('t', Buffer.from('{"id":')), /a record of t is not JSON/);
  assert.throws(() => enveloped.fromConnectData('t', { type: 'string', optional: false }, null), /not optional/);
  const plain = converterFor('value.converter', { 'value.converter': 'x' }, { 'value.converter': JSON_CONVERTER, 'value.converter.schemas.enable': 'false' });
  assert.equal(text(plain.fromConnectData('t', undefined, { id: 1, tags: ['a'] })), '{"id":1,"tags":["a"]}');
  assert.deepEqual(plain.toConnectData('t', Buffer.from('{"id":12345678901234567890}')), { value: { id: 12345678901234567890n } });
});

test('StringConverter and ByteArrayConverter; an unknown or missing converter is refused with the setting named', () => {
  const strings = converterFor('key.converter', { 'key.converter': 'org.apache.kafka.connect.storage.StringConverter' });
  assert.equal(text(strings.fromConnectData('t', undefined, 42)), '42');
  assert.deepEqual(strings.toConnectData('t', Buffer.from('é')), { schema: { type: 'string', optional: true }, value: 'é' });
  assert.throws(() => strings.fromConnectData('t', undefined, { a: 1 }), /use the JsonConverter/);
  const bytes = converterFor('value.converter', { 'value.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter' });
  assert.deepEqual(bytes.fromConnectData('t', undefined, Buffer.from([1, 2])), Buffer.from([1, 2]));
  assert.throws(() => bytes.fromConnectData('t', undefined, 'text'), /passes bytes through/);
  assert.throws(() => converterFor('value.converter', {}), (err: unknown) => err instanceof ConnectError && err.code === 'INVALID_CONFIG' && /value.converter is required/.test(err.message));
  assert.throws(() => converterFor('value.converter', { 'value.converter': 'com.example.Nope' }), /unknown converter "com.example.Nope"/);
  assert.throws(() => converterFor('value.converter', { 'value.converter': JSON_CONVERTER, 'value.converter.schemas.enable': 'yes' }), /schemas.enable must be true or false/);
});
