"""A consume-transform-produce loop with exactly-once semantics (librdkafka): reads INPUT in group
GROUP, writes each value upper-cased to OUTPUT and commits the consumed offsets inside the same
transaction (send_offsets_to_transaction). Every ABORT_EVERY-th transaction is aborted on purpose
and its input processed again. Stops once EXPECTED records were committed; prints one JSON line.

Usage: eos_processor.py BOOTSTRAP INPUT OUTPUT GROUP EXPECTED ABORT_EVERY
"""
import json
import sys

from confluent_kafka import Consumer, Producer, TopicPartition

bootstrap, source, sink, group, expected, abort_every = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
consumer = Consumer({
    'bootstrap.servers': bootstrap,
    'group.id': group,
    'enable.auto.commit': False,
    'auto.offset.reset': 'earliest',
    'isolation.level': 'read_committed',
})
producer = Producer({'bootstrap.servers': bootstrap, 'transactional.id': group + '-processor'})
producer.init_transactions(30)
consumer.subscribe([source])

committed = aborted = transactions = 0
while committed < expected:
    messages = consumer.consume(num_messages=50, timeout=1.0)
    messages = [m for m in messages if m.error() is None]
    if not messages:
        continue
    producer.begin_transaction()
    for m in messages:
        producer.produce(sink, m.value().upper(), key=m.key())
    producer.send_offsets_to_transaction(consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), 30)
    transactions += 1
    if transactions % abort_every == 0:
        producer.flush(30)
        producer.abort_transaction(30)
        aborted += len(messages)
        # Processing starts again from the last committed offsets.
        for tp in consumer.committed(consumer.assignment(), 30):
            consumer.seek(TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else 0))
    else:
        producer.commit_transaction(30)
        committed += len(messages)
consumer.close()
print(json.dumps({'committed': committed, 'aborted': aborted, 'transactions': transactions}), flush=True)
