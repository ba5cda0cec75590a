import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildBrokerConfig, ConfigError, parseProperties } from './broker-config.ts';

test('server.properties parsing: comments, blanks, = and : separators, spaces', () => {
  const props = parseProperties('# comment\n! also comment\n\nnum.partitions = 3\nlog.retention.hours:24\n');
  assert.deepEqual(props, { 'num.partitions': '3', 'log.retention.hours': '24' });
  assert.throws(() => parseProperties('just-a-key\n'), ConfigError);
});

test('unknown settings are refused by name; copied Kafka-only settings are accepted', () => {
  assert.throws(() => buildBrokerConfig({ 'num.partitons': '3' }), /unknown setting "num.partitons"/);
  assert.doesNotThrow(() => buildBrokerConfig({ 'num.network.threads': '3', 'process.roles': 'broker,controller' }));
});

test('retention and roll follow Kafka precedence: ms over minutes over hours', () => {
  assert.equal(buildBrokerConfig({ 'log.retention.hours': '24' }).values['log.retention.ms'], String(24 * 3_600_000));
  assert.equal(buildBrokerConfig({ 'log.retention.minutes': '5', 'log.retention.hours': '24' }).values['log.retention.ms'], '300000');
  assert.equal(buildBrokerConfig({ 'log.retention.ms': '1000', 'log.retention.minutes': '5' }).values['log.retention.ms'], '1000');
  assert.equal(buildBrokerConfig({ 'log.roll.hours': '1' }).values['log.roll.ms'], '3600000');
});

test('explicit settings are remembered for DescribeConfigs sources', () => {
  const config = buildBrokerConfig({ 'num.partitions': '4' });
  assert.ok(config.explicit.has('num.partitions'));
  assert.ok(!config.explicit.has('message.max.bytes'));
  assert.equal(config.values['message.max.bytes'], '1048588');
});

test('topic defaults set on the broker are validated at start-up', () => {
  assert.throws(() => buildBrokerConfig({ 'log.segment.bytes': 'big' }), /log.segment.bytes must be an integer/);
  assert.throws(() => buildBrokerConfig({ 'log.cleanup.policy': 'keep' }), /one of/);
  assert.throws(() => buildBrokerConfig({ 'compression.type': 'gzip' }), /not supported yet/);
  assert.doesNotThrow(() => buildBrokerConfig({ 'log.segment.bytes': '1048576' }));
});
