import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRecord, lineParser, parseFormat } from './record-format.ts';

const record = {
  topic: 'orders', partition: 2, offset: 41, timestamp: 1700000000000,
  key: Buffer.from('k1'), value: Buffer.from('paid'), headers: [{ key: 'source', value: Buffer.from('web') }, { key: 'empty', value: null }],
};

test('every field, escapes and a literal percent sign', () => {
  assert.equal(formatRecord(parseFormat('%t/%p@%o %T %k=%v [%h] 100%%\\n'), record), 'orders/2@41 1700000000000 k1=paid [source=web,empty=] 100%\n');
  assert.equal(formatRecord(parseFormat('%k\\t%v'), { ...record, key: null }), '\tpaid');
});

test('an unknown field is refused with the fields there are', () => {
  assert.throws(() => parseFormat('%x'), /unknown field %x .*%t %p %o %k %v %T %h/);
  assert.throws(() => parseFormat('trailing %'), /unknown field %/);
});

test('produce lines: key and value around a separator; the value keeps later separators; partition first', () => {
  const parse = lineParser('%k:%v');
  assert.deepEqual(parse('user-1:a:b'), { key: 'user-1', value: 'a:b' });
  assert.deepEqual(parse(':empty key'), { key: '', value: 'empty key' });
  assert.equal(parse('no separator'), null);
  const withPartition = lineParser('%p\\t%k\\t%v');
  assert.deepEqual(withPartition('3\tk\tv'), { partition: 3, key: 'k', value: 'v' });
  assert.equal(withPartition('x\tk\tv'), null);
  assert.throws(() => lineParser('%o %v'), /%k, %v and %p only/);
});
