"""A librdkafka transactional producer: per line of commands on argv, a transaction that it commits
or aborts. Prints one JSON line per transaction with its outcome, then {"done": true}.

Usage: txn_producer.py BOOTSTRAP TOPIC TRANSACTIONAL_ID COMMAND...
COMMAND: commit:N or abort:N (N records "<txn index>-<i>"), or hang:N (produce, then exit without ending).
"""
import json
import sys

from confluent_kafka import Producer

bootstrap, topic, txn_id = sys.argv[1], sys.argv[2], sys.argv[3]
producer = Producer({'bootstrap.servers': bootstrap, 'transactional.id': txn_id, 'transaction.timeout.ms': 10000})
producer.init_transactions(30)
for index, command in enumerate(sys.argv[4:]):
    action, count = command.split(':')
    producer.begin_transaction()
    for i in range(int(count)):
        producer.produce(topic, ('%d-%d' % (index, i)).encode(), key=str(i).encode())
    # Flushed first, so that an aborted transaction's records really are in the log (abort would purge them otherwise).
    producer.flush(30)
    if action == 'hang':
        print(json.dumps({'txn': index, 'outcome': 'left open'}), flush=True)
        sys.exit(0)
    if action == 'commit':
        producer.commit_transaction(30)
    else:
        producer.abort_transaction(30)
    print(json.dumps({'txn': index, 'outcome': action}), flush=True)
print(json.dumps({'done': True}), flush=True)
