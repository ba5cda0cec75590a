"""Produces unique values with acks=all (idempotence off unless asked) until stdin closes, printing
every acknowledged record as a JSON line {"p": partition, "o": offset, "v": value}.

Usage: acked_producer.py BOOTSTRAP TOPIC [idempotent [PREFIX]]
Values are PREFIX-N (PREFIX "value" unless given).
"""
import json
import select
import sys

from confluent_kafka import Producer

bootstrap, topic = sys.argv[1], sys.argv[2]
idempotent = len(sys.argv) > 3 and sys.argv[3] == 'idempotent'
prefix = sys.argv[4] if len(sys.argv) > 4 else 'value'
producer = Producer({
    'bootstrap.servers': bootstrap,
    'acks': 'all',
    'enable.idempotence': idempotent,
    'linger.ms': 2,
    'message.timeout.ms': 120000,
    'reconnect.backoff.ms': 50,
    'reconnect.backoff.max.ms': 500,
})


def on_delivery(err, msg):
    if err is None:
        print(json.dumps({'p': msg.partition(), 'o': msg.offset(), 'v': msg.value().decode()}), flush=True)


sent = 0
while True:
    readable, _, _ = select.select([sys.stdin], [], [], 0)
    if readable and sys.stdin.read(1) == '':
        break
    try:
        producer.produce(topic, ('%s-%d' % (prefix, sent)).encode(), on_delivery=on_delivery)
        sent += 1
    except BufferError:
        pass
    producer.poll(0.001)
producer.flush(120)
print(json.dumps({'sent': sent}), flush=True)
