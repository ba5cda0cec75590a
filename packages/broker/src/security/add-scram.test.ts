import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../config/broker-config.ts';
import { parseAddScram } from './add-scram.ts';

test('--add-scram reads kafka-storage\'s form, quoted values included', () => {
  assert.deepEqual(parseAddScram('SCRAM-SHA-512=[name=alice,password="a,b=\\"c\\"",iterations=8192]'),
    { mechanism: 'SCRAM-SHA-512', user: 'alice', password: 'a,b="c"', iterations: 8192 });
});

test('--add-scram refuses what it cannot read instead of skipping it', () => {
  for (const fields of ['name=alice,password=x,junk', 'name=alice,password=x,Iterations=8192', 'name=alice,password="x"y', 'name=alice,password=x,', ',name=alice,password=x']) {
    assert.throws(() => parseAddScram(`SCRAM-SHA-256=[${fields}]`), (err: Error) => err instanceof ConfigError && err.message.startsWith('--add-scram: cannot read'), fields);
  }
});
