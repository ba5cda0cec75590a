// A KafkaJS group member in its own process, so a test can SIGKILL it (no LeaveGroup).
// Usage: node kafkajs-member.ts BOOTSTRAP TOPIC GROUP
// Prints JSON lines: {"assigned": [partitions]} on every join, {"value": v} for every record.
import kafkajs from 'kafkajs';

const [bootstrap, topic, groupId] = process.argv.slice(2);
const kafka = new kafkajs.Kafka({ clientId: 'kafkajs-member', brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING });
const consumer = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 500 });
consumer.on(consumer.events.GROUP_JOIN, (e) => console.log(JSON.stringify({ assigned: e.payload.memberAssignment[topic] ?? [] })));
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({ eachMessage: async ({ message }) => console.log(JSON.stringify({ value: message.value!.toString() })) });
