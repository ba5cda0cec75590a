"""Reads COUNT records of partition 0 of TOPIC from the beginning as a consumer in rack RACK
(client.rack), with librdkafka's statistics on; prints one JSON line: how many it read, the broker
it was fetching that partition from at the end, and the partition's leader.

Usage: rack_consumer.py BOOTSTRAP TOPIC RACK COUNT
"""
import json
import sys
import time

from confluent_kafka import Consumer, TopicPartition

bootstrap, topic, rack, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
stats = {}


def on_stats(text):
    partition = json.loads(text).get('topics', {}).get(topic, {}).get('partitions', {}).get('0')
    if partition:
        stats['broker'], stats['leader'] = partition['broker'], partition['leader']


consumer = Consumer({
    'bootstrap.servers': bootstrap,
    'group.id': 'rack-' + rack,
    'client.rack': rack,
    'enable.auto.commit': False,
    'statistics.interval.ms': 200,
    'stats_cb': on_stats,
})
consumer.assign([TopicPartition(topic, 0, 0)])
read = 0
deadline = time.time() + 60
while read < count and time.time() < deadline:
    message = consumer.poll(0.5)
    if message is not None and message.error() is None:
        read += 1
# One more statistics report, after the last fetch.
end = time.time() + 1
while time.time() < end:
    consumer.poll(0.1)
consumer.close()
print(json.dumps({'read': read, 'fetchedFrom': stats.get('broker'), 'leader': stats.get('leader')}), flush=True)
