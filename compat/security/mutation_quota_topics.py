"""Creates topics one at a time with a Python client's admin, as fast as the broker answers, then
deletes them the same way, under a controller_mutation_rate quota.

Usage: mutation_quota_topics.py confluent|kafka-python BOOTSTRAP CLIENT_ID PREFIX COUNT
Prints {"createSeconds": S, "deleteSeconds": S}; exits non-zero if a creation or deletion failed.
"""
import json
import sys
import time

client, bootstrap, client_id, prefix, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
names = ['%s-%d' % (prefix, i) for i in range(count)]

if client == 'confluent':
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({'bootstrap.servers': bootstrap, 'client.id': client_id})

    def create(name):
        admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)])[name].result(30)

    def delete(name):
        admin.delete_topics([name])[name].result(30)
else:
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id=client_id)

    def create(name):
        admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)], timeout_ms=30000)

    def delete(name):
        admin.delete_topics([name], timeout_ms=30000)

started = time.monotonic()
for name in names:
    create(name)
created = time.monotonic()
for name in names:
    delete(name)
print(json.dumps({'createSeconds': created - started, 'deleteSeconds': time.monotonic() - created}))
