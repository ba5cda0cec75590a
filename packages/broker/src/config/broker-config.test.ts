import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BROKER_DEFAULTS, buildBrokerConfig, ConfigError, parseProperties } from './broker-config.ts';
import { BROKER_SETTING_RULES, settingError } from './broker-setting-rules.ts';
import { TOPIC_CONFIGS } from './topic-configs.ts';

test('server.properties parsing: comments, blanks, = and : separators, spaces', () => {
  const props = parseProperties('# comment\n! also comment\n\nnum.partitions = 3\nlog.retention.hours:24\n');
  assert.deepEqual(props, { 'num.partitions': '3', 'log.retention.hours': '24' });
  assert.throws(() => parseProperties('just-a-key\n'), ConfigError);
});

test('unknown settings are refused by name; copied Kafka-only settings are accepted and named with why', () => {
  assert.throws(() => buildBrokerConfig({ 'num.partitons': '3' }), /unknown setting "num.partitons"/);
  const config = buildBrokerConfig({ 'num.network.threads': '3', 'process.roles': 'broker,controller' });
  assert.deepEqual([...config.unused.keys()], ['num.network.threads', 'process.roles']);
  assert.match(config.unused.get('num.network.threads')!, /one event loop/);
});

test('every broker setting has a rule, every default keeps it, and a value out of range is refused by name', () => {
  const topicSynonyms = new Set(TOPIC_CONFIGS.map((d) => d.brokerSynonym));
  const unruled = Object.keys(BROKER_DEFAULTS).filter((key) => !topicSynonyms.has(key) && !(key in BROKER_SETTING_RULES));
  assert.deepEqual(unruled, [], 'a new setting needs a rule in broker-setting-rules.ts');
  for (const [key, rule] of Object.entries(BROKER_SETTING_RULES)) assert.equal(settingError(key, BROKER_DEFAULTS[key], rule), null, key);
  assert.throws(() => buildBrokerConfig({ 'num.partitions': 'abc' }), /num.partitions must be a whole number from 1 to 2147483647, not "abc"/);
  assert.throws(() => buildBrokerConfig({ 'num.partitions': '0' }), /num.partitions/);
  assert.throws(() => buildBrokerConfig({ 'num.partitions': '1.5' }), /num.partitions/);
  assert.throws(() => buildBrokerConfig({ 'log.retention.hours': '-5' }), /log.retention.hours must be a whole number from -1/);
  assert.throws(() => buildBrokerConfig({ 'leader.imbalance.per.broker.percentage': '101' }), /from 0 to 100/);
  assert.throws(() => buildBrokerConfig({ 'delete.topic.enable': 'yes' }), /delete.topic.enable must be true or false/);
  // As in Kafka, booleans are read in any case; they are kept lower-case for the code that reads them.
  assert.equal(buildBrokerConfig({ 'auto.create.topics.enable': 'FALSE' }).values['auto.create.topics.enable'], 'false');
  assert.equal(buildBrokerConfig({ 'unclean.leader.election.enable': ' True' }).values['unclean.leader.election.enable'], 'true');
  assert.throws(() => buildBrokerConfig({ 'group.min.session.timeout.ms': '9000', 'group.max.session.timeout.ms': '8000' }), /is more than group.max.session.timeout.ms/);
  assert.equal(buildBrokerConfig({ 'log.retention.hours': '-1' }).values['log.retention.ms'], '-1', '-1 keeps records for ever');
});

test('broker.id is node.id; log.dirs names the one data directory', () => {
  assert.equal(buildBrokerConfig({ 'broker.id': '7' }).values['node.id'], '7');
  assert.equal(buildBrokerConfig({ 'broker.id': '7', 'node.id': '7' }).values['node.id'], '7');
  assert.throws(() => buildBrokerConfig({ 'broker.id': '7', 'node.id': '8' }), /name different brokers/);
  assert.throws(() => buildBrokerConfig({ 'broker.id': '-1' }), /broker.id must be a whole number from 0/);
  assert.throws(() => buildBrokerConfig({ 'log.dirs': '/a, /b' }), /log.dirs names 2 directories/);
  assert.doesNotThrow(() => buildBrokerConfig({ 'log.dirs': '/var/lib/kafka' }));
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
