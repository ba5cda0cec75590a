"""Runs transactions of SIZE records ("<txn>-<i>") until stdin closes, through broker crashes.
Prints {"committed": txn} when commit_transaction returned, {"unknown": txn} when the outcome is
not known (the broker died during the commit), {"aborted": txn} when it aborted the transaction.
A producer that cannot go on is replaced: init_transactions of the new one fences it.

Usage: txn_crash_producer.py BOOTSTRAP TOPIC SIZE
"""
import json
import select
import sys

from confluent_kafka import KafkaException, Producer

bootstrap, topic, size = sys.argv[1], sys.argv[2], int(sys.argv[3])


def new_producer():
    while True:
        p = Producer({
            'bootstrap.servers': bootstrap,
            'transactional.id': 'crash-tx',
            'transaction.timeout.ms': 10000,
            'reconnect.backoff.ms': 50,
            'reconnect.backoff.max.ms': 500,
        })
        try:
            p.init_transactions(20)
            return p
        except KafkaException:
            continue


def report(kind, txn):
    print(json.dumps({kind: txn}), flush=True)


producer = new_producer()
txn = 0
while True:
    readable, _, _ = select.select([sys.stdin], [], [], 0)
    if readable and sys.stdin.read(1) == '':
        break
    committing = False
    try:
        producer.begin_transaction()
        for i in range(size):
            producer.produce(topic, ('%d-%d' % (txn, i)).encode(), key=str(i).encode())
        producer.flush(20)
        committing = True
        producer.commit_transaction(20)
        report('committed', txn)
    except KafkaException as e:
        error = e.args[0]
        if committing and error.retriable():
            report('unknown', txn)
        elif error.txn_requires_abort():
            try:
                producer.abort_transaction(20)
                report('aborted', txn)
            except KafkaException:
                report('unknown', txn)
                producer = new_producer()
        else:
            report('unknown', txn)
            producer = new_producer()
    txn += 1
print(json.dumps({'done': txn}), flush=True)
