"""Produces COUNT records of SIZE bytes (value "<i>:" padded) with acks=all and no retries, so that
the broker's own error reaches the delivery report. Prints {"p","o","v"} per acknowledged record and
{"error": name} per failed one.

Usage: fill_disk_producer.py BOOTSTRAP TOPIC COUNT SIZE
"""
import json
import sys

from confluent_kafka import Producer

bootstrap, topic, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])


def on_delivery(err, msg):
    if err is None:
        print(json.dumps({'p': msg.partition(), 'o': msg.offset(), 'v': msg.value().decode()[:20]}), flush=True)
    else:
        print(json.dumps({'error': err.name()}), flush=True)


producer = Producer({
    'bootstrap.servers': bootstrap,
    'acks': 'all',
    'enable.idempotence': False,
    'retries': 0,
    'linger.ms': 1,
    'message.timeout.ms': 30000,
})
for i in range(count):
    value = ('%d:' % i).ljust(size, '.')
    producer.produce(topic, value.encode(), on_delivery=on_delivery)
    producer.poll(0)
    if i % 100 == 0:
        producer.flush(30)
producer.flush(30)
