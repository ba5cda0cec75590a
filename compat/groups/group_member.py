"""A long-running confluent-kafka (librdkafka) group member for tests that kill and restart members.

Usage: group_member.py BOOTSTRAP TOPIC GROUP [INSTANCE_ID]
Prints JSON lines: {"assigned": [partitions]} after every rebalance, {"value": v, "partition": p}
for every record (committed synchronously right after it is processed).
"""
import json
import sys

from confluent_kafka import Consumer, KafkaException

bootstrap, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
config = {
    'bootstrap.servers': bootstrap,
    'group.id': group,
    'auto.offset.reset': 'earliest',
    'enable.auto.commit': False,
    'session.timeout.ms': 6000,
    'heartbeat.interval.ms': 500,
    'partition.assignment.strategy': 'cooperative-sticky',
}
if len(sys.argv) > 4:
    config['group.instance.id'] = sys.argv[4]
consumer = Consumer(config)
owned = set()


def on_assign(c, partitions):
    owned.update(p.partition for p in partitions)
    print(json.dumps({'assigned': sorted(owned)}), flush=True)


def on_revoke(c, partitions):
    owned.difference_update(p.partition for p in partitions)
    print(json.dumps({'assigned': sorted(owned)}), flush=True)


consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
while True:
    message = consumer.poll(0.2)
    if message is None:
        continue
    if message.error():
        print(json.dumps({'error': str(message.error())}), flush=True)
        continue
    print(json.dumps({'value': message.value().decode(), 'partition': message.partition()}), flush=True)
    try:
        consumer.commit(message=message, asynchronous=False)
    except KafkaException as e:
        # The coordinator moved or is loading: the next record's commit covers this one too.
        print(json.dumps({'commit_error': str(e)}), flush=True)
