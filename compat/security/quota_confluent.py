"""confluent-kafka (librdkafka) against a byte-rate quota: produce or consume as fast as the client
can for a while, and report what got through and how often the broker said to slow down.

Usage: quota_confluent.py produce BOOTSTRAP TOPIC CLIENT_ID SECONDS VALUE_BYTES [BATCH_BYTES]
       quota_confluent.py consume BOOTSTRAP TOPIC CLIENT_ID SECONDS
Prints {"bytes": N, "seconds": S, "throttles": T}: value bytes acknowledged (produce) or received
(consume) within the time, the time, and the throttle events librdkafka reported. More client
settings (security.protocol, sasl.*) may come as a JSON object in $CLIENT_SETTINGS.
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer, Producer

mode, bootstrap, topic, client_id, seconds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
throttles = []


def on_throttle(event):
    if event.throttle_time > 0:
        throttles.append(event.throttle_time)


common = {'bootstrap.servers': bootstrap, 'client.id': client_id, 'throttle_cb': on_throttle, **json.loads(os.environ.get('CLIENT_SETTINGS', '{}'))}
counted = 0

if mode == 'produce':
    value = b'x' * int(sys.argv[6])
    batch = {'batch.size': int(sys.argv[7])} if len(sys.argv) > 7 else {}
    producer = Producer({**common, 'acks': 1, **batch})
    start = time.time()
    end = start + seconds

    def delivered(err, msg):
        global counted
        if err is None and time.time() <= end:
            counted += len(msg.value())

    while time.time() < end:
        try:
            producer.produce(topic, value=value, on_delivery=delivered)
        except BufferError:
            producer.poll(0.05)
        producer.poll(0)
    # What is still queued when the time is up is not wanted.
    producer.purge()
    producer.flush(30)
else:
    # A small prefetch queue: records are counted as they are polled, so little is fetched ahead.
    consumer = Consumer({**common, 'group.id': client_id, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False, 'queued.max.messages.kbytes': 1024})
    consumer.subscribe([topic])
    start = None
    end = None
    while end is None or time.time() < end:
        message = consumer.poll(0.2)
        if message is None or message.error():
            continue
        if start is None:
            # The clock starts at the first record: joining the group is not part of the rate.
            start = time.time()
            end = start + seconds
        if time.time() <= end:
            counted += len(message.value())
    consumer.close()

print(json.dumps({'bytes': counted, 'seconds': seconds, 'throttles': len(throttles)}))
