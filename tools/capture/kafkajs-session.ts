// A KafkaJS session that touches the APIs KafkaJS users hit: admin and producer.
import kafkajs from 'kafkajs';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;
const kafka = new Kafka({ clientId: 'capture', brokers: [process.argv[2]], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic: 'captured-js', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '60000' }] }] });
await admin.fetchTopicMetadata({ topics: ['captured-js'] });
await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'captured-js' }], includeSynonyms: true });
await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'captured-js', configEntries: [{ name: 'retention.ms', value: '120000' }] }] });
await admin.createPartitions({ topicPartitions: [{ topic: 'captured-js', count: 3 }] });
const producer = kafka.producer();
await producer.connect();
await producer.send({ topic: 'captured-js', messages: [{ key: 'k', value: 'v', headers: { h: 'x' } }] });
await producer.disconnect();
await admin.fetchTopicOffsets('captured-js');
await admin.deleteTopicRecords({ topic: 'captured-js', partitions: [{ partition: 0, offset: '-1' }] });
await admin.deleteTopics({ topics: ['captured-js'] });
await admin.disconnect();
