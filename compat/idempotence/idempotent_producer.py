"""Produces COUNT records with an idempotent librdkafka producer, record i to partition i % PARTITIONS
with the value "i", and prints one JSON line at the end: how many were acknowledged and every error.

Usage: idempotent_producer.py BOOTSTRAP TOPIC PARTITIONS COUNT RATE
(RATE: records per second at most, so that a run lasts long enough to see many connection cuts)
"""
import json
import sys
import time

from confluent_kafka import KafkaException, Producer

bootstrap, topic, partitions, count, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
errors = []
acked = 0


def on_error(err):
    # Connection resets are expected here; only fatal errors matter.
    if err.fatal():
        errors.append('fatal: %s' % err)


def on_delivery(err, msg):
    global acked
    if err is None:
        acked += 1
    else:
        errors.append(str(err))


producer = Producer({
    'bootstrap.servers': bootstrap,
    'enable.idempotence': sys.argv[6:7] != ['off'],
    'linger.ms': 5,
    'message.timeout.ms': 300000,
    'reconnect.backoff.ms': 20,
    'reconnect.backoff.max.ms': 200,
    'error_cb': on_error,
})
started = time.monotonic()
for i in range(count):
    ahead = i / rate - (time.monotonic() - started)
    if ahead > 0:
        producer.poll(ahead)
    while True:
        try:
            producer.produce(topic, str(i).encode(), partition=i % partitions, on_delivery=on_delivery)
            break
        except BufferError:
            producer.poll(0.05)
    producer.poll(0)
remaining = producer.flush(300)
print(json.dumps({'acked': acked, 'unflushed': remaining, 'errors': errors[:20]}), flush=True)
