"""A group consumer with kafka-python 2.0.2 or confluent-kafka: consume until COUNT records or
idle, commit synchronously, print JSON {consumed: [values], assignment: [partitions]}.

Usage: python_group.py kafka-python|confluent BOOTSTRAP TOPIC GROUP COUNT
"""
import json
import sys
import time

client, bootstrap, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
values = []
if client == 'kafka-python':
    from kafka import KafkaConsumer
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset='earliest',
                             enable_auto_commit=False, consumer_timeout_ms=6000)
    for message in consumer:
        values.append(message.value.decode())
        if len(values) == count:
            break
    consumer.commit()
    assignment = sorted(tp.partition for tp in consumer.assignment())
    consumer.close()
else:
    from confluent_kafka import Consumer
    consumer = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'auto.offset.reset': 'earliest',
                         'enable.auto.commit': False, 'partition.assignment.strategy': 'cooperative-sticky'})
    consumer.subscribe([topic])
    idle_until = time.time() + 15
    while len(values) < count and time.time() < idle_until:
        message = consumer.poll(0.5)
        if message is None:
            continue
        if message.error():
            print(json.dumps({'error': str(message.error())}))
            sys.exit(1)
        values.append(message.value().decode())
        idle_until = time.time() + 6
    assignment = sorted(tp.partition for tp in consumer.assignment())
    if values:
        consumer.commit(asynchronous=False)
    consumer.close()
print(json.dumps({'consumed': values, 'assignment': assignment}))
