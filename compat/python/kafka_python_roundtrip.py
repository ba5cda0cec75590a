"""kafka-python 2.0.2: produce keyed records with headers, then consume them from assigned partitions.

Usage: kafka_python_roundtrip.py BOOTSTRAP TOPIC COUNT
Prints one JSON object: produced offsets per partition and the records consumed.
"""
import json
import sys

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])

producer = KafkaProducer(bootstrap_servers=bootstrap, acks='all', linger_ms=5)
futures = [producer.send(topic, key=b'k%d' % (i % 7), value=b'v%d' % i, headers=[('n', str(i).encode())]) for i in range(count)]
producer.flush(30)
produced = [[f.get(timeout=30).partition, f.get(timeout=30).offset] for f in futures]
producer.close()

consumer = KafkaConsumer(bootstrap_servers=bootstrap, consumer_timeout_ms=5000, enable_auto_commit=False)
partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
consumer.assign(partitions)
consumer.seek_to_beginning()
records = []
for message in consumer:
    records.append({
        'partition': message.partition,
        'offset': message.offset,
        'key': message.key.decode(),
        'value': message.value.decode(),
        'headers': [[k, v.decode()] for k, v in message.headers],
        'timestamp': message.timestamp,
    })
    if len(records) == count:
        break
consumer.close()
print(json.dumps({'produced': produced, 'records': records}))
