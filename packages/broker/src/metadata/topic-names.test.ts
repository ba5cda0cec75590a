import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collisionKey, topicNameError } from './topic-names.ts';

test("Kafka's topic name rules", () => {
  for (const good of ['a', 'orders', 'my.topic_v2-x', 'x'.repeat(249)]) assert.equal(topicNameError(good), null, good);
  for (const bad of ['', '.', '..', 'x'.repeat(250), 'has space', 'ünicode', 'a/b']) assert.notEqual(topicNameError(bad), null, bad);
  assert.equal(collisionKey('a.b'), collisionKey('a_b'));
});
