import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTrue, TOPIC_CONFIG_BY_NAME, validateConfigValue } from './topic-configs.ts';

const def = (name: string) => TOPIC_CONFIG_BY_NAME.get(name)!;

test('numeric configs: integers within range only', () => {
  assert.equal(validateConfigValue(def('retention.ms'), '86400000'), null);
  assert.equal(validateConfigValue(def('retention.ms'), '-1'), null);
  assert.match(String(validateConfigValue(def('retention.ms'), '-2')), /at least -1/);
  assert.match(String(validateConfigValue(def('segment.bytes'), '1.5')), /integer/);
  assert.match(String(validateConfigValue(def('max.message.bytes'), '99999999999')), /too large/);
  assert.equal(validateConfigValue(def('min.cleanable.dirty.ratio'), '0.1'), null);
  assert.match(String(validateConfigValue(def('min.cleanable.dirty.ratio'), 'abc')), /number/);
});

test('enumerated configs accept their values only', () => {
  assert.equal(validateConfigValue(def('cleanup.policy'), 'compact, delete'), null);
  assert.match(String(validateConfigValue(def('cleanup.policy'), 'keep')), /one of/);
  assert.equal(validateConfigValue(def('message.timestamp.type'), 'LogAppendTime'), null);
  assert.match(String(validateConfigValue(def('preallocate'), 'yes')), /true or false/);
});

test('booleans are read in any case, as Kafka reads them', () => {
  assert.equal(validateConfigValue(def('unclean.leader.election.enable'), 'TRUE'), null);
  assert.equal(validateConfigValue(def('unclean.leader.election.enable'), 'False'), null);
  assert.equal(isTrue('TRUE'), true);
  assert.equal(isTrue(' true '), true);
  assert.equal(isTrue('False'), false);
});
