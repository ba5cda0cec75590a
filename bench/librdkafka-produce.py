"""Produce throughput with librdkafka (confluent-kafka): N records of SIZE bytes, acks=all.

Usage: python3 librdkafka-produce.py BOOTSTRAP TOPIC COUNT SIZE [SETTINGS_JSON]
SETTINGS_JSON adds client settings (security.protocol, sasl.*, ssl.* for a secured listener).
Prints one JSON line: records, bytes, seconds, errors.
"""
import json
import sys
import time

from confluent_kafka import Producer

bootstrap, topic, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
extra = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
errors = 0


def on_delivery(err, _msg):
    global errors
    if err is not None:
        errors += 1


producer = Producer({
    'bootstrap.servers': bootstrap,
    'acks': 'all',
    'enable.idempotence': False,
    'linger.ms': 5,
    'batch.size': 1_000_000,
    'queue.buffering.max.messages': 1_000_000,
    'queue.buffering.max.kbytes': 1_048_576,
    **extra,
})
value = b'x' * size
start = time.perf_counter()
for i in range(count):
    while True:
        try:
            producer.produce(topic, value, key=str(i % 1000).encode(), on_delivery=on_delivery)
            break
        except BufferError:
            producer.poll(0.01)
    if i % 10_000 == 0:
        producer.poll(0)
remaining = producer.flush(120)
seconds = time.perf_counter() - start
print(json.dumps({'records': count, 'bytes': count * size, 'seconds': seconds, 'errors': errors + remaining}))
