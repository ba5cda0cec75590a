"""Fills the broker's disk: produces records of SIZE bytes round-robin to PARTITIONS explicit
partitions with acks=all, idempotence off and no retries (so the broker's own error reaches the
delivery report), until every partition has failed at least FAILURES times or LIMIT records were sent.

Record i holds "rec-<i>:" followed by printable characters from a generator seeded with i, so two
records never share their bytes. Prints one JSON line per delivery report:
  {"i": i, "p": partition, "o": offset, "v": value}            acknowledged
  {"i": i, "p": partition, "error": name, "code": n, "retriable": bool, "reason": text}   failed
and at the end {"sent": n}.

Usage: fill_disk_producer.py BOOTSTRAP TOPIC PARTITIONS SIZE FAILURES LIMIT
"""
import json
import random
import string
import sys

from confluent_kafka import Producer

bootstrap, topic = sys.argv[1], sys.argv[2]
partitions, size, failures_wanted, limit = (int(a) for a in sys.argv[3:7])
ALPHABET = string.ascii_letters + string.digits


def value_for(i):
    head = 'rec-%d:' % i
    return head + ''.join(random.Random(i).choices(ALPHABET, k=size - len(head)))


failures = [0] * partitions


def on_delivery(err, msg):
    i = int(msg.value().split(b':', 1)[0][len('rec-'):])
    if err is None:
        print(json.dumps({'i': i, 'p': msg.partition(), 'o': msg.offset(), 'v': msg.value().decode()}), flush=True)
    else:
        failures[msg.partition()] += 1
        print(json.dumps({'i': i, 'p': msg.partition(), 'error': err.name(), 'code': err.code(), 'retriable': err.retriable(), 'reason': err.str()}), flush=True)


producer = Producer({
    'bootstrap.servers': bootstrap,
    'acks': 'all',
    'enable.idempotence': False,
    'retries': 0,
    'linger.ms': 1,
    'message.timeout.ms': 30000,
})
sent = 0
while sent < limit and min(failures) < failures_wanted:
    for _ in range(30):
        producer.produce(topic, value_for(sent).encode(), partition=sent % partitions, on_delivery=on_delivery)
        sent += 1
    # Every report of this round arrives before the next: the stop condition sees them all.
    remaining = producer.flush(60)
    if remaining:
        print(json.dumps({'stuck': remaining}), flush=True)
        break
print(json.dumps({'sent': sent}), flush=True)
