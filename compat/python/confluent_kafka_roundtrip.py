"""confluent-kafka (librdkafka) with default settings: produce keyed records with headers, then
consume them from assigned partitions (no consumer group is joined: assign() does not join).

Usage: confluent_kafka_roundtrip.py BOOTSTRAP TOPIC COUNT
"""
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
produced = []
errors = []


def on_delivery(err, msg):
    if err is not None:
        errors.append(str(err))
    else:
        produced.append([msg.partition(), msg.offset()])


producer = Producer({'bootstrap.servers': bootstrap})
for i in range(count):
    producer.produce(topic, key=b'k%d' % (i % 7), value=b'v%d' % i, headers=[('n', str(i).encode())], on_delivery=on_delivery)
    producer.poll(0)
left = producer.flush(30)
if left or errors:
    print(json.dumps({'error': f'{left} undelivered, errors: {errors[:5]}'}))
    sys.exit(1)

consumer = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'unused-assign-only', 'enable.auto.commit': False})
metadata = consumer.list_topics(topic, timeout=10)
partitions = sorted(metadata.topics[topic].partitions)
consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
records = []
deadline = time.time() + 30
while len(records) < count and time.time() < deadline:
    message = consumer.poll(0.5)
    if message is None:
        continue
    if message.error():
        print(json.dumps({'error': str(message.error())}))
        sys.exit(1)
    records.append({
        'partition': message.partition(),
        'offset': message.offset(),
        'key': message.key().decode(),
        'value': message.value().decode(),
        'headers': [[k, v.decode()] for k, v in message.headers()],
        'timestamp': message.timestamp()[1],
    })
consumer.close()
print(json.dumps({'produced': produced, 'records': records}))
