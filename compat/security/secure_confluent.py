"""confluent-kafka (librdkafka) over a secured listener: produce COUNT values, then read them back in
a consumer group. The client settings (security.protocol, sasl.*, ssl.*) come as a JSON object;
for OAUTHBEARER, "oauth.token" is the token the oauth_cb callback hands librdkafka.

Usage: secure_confluent.py SETTINGS_JSON TOPIC COUNT GROUP
Prints {"values": [...]} or, when authentication fails, {"error": "..."} and exits 1.
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer

settings, topic, count, group = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
# OAUTHBEARER: the token comes through librdkafka's refresh callback, as an application's would.
token = settings.pop('oauth.token', None)
if token is not None:
    settings['oauth_cb'] = lambda _config: (token, time.time() + 3600)


def on_error(err):
    # An authentication failure is final: report it rather than retrying until a timeout.
    if err.code() in (KafkaError._AUTHENTICATION, KafkaError._SSL, KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN):
        print(json.dumps({'error': err.str()}), flush=True)
        sys.exit(1)


producer = Producer({**settings, 'error_cb': on_error})
failed = []
for i in range(count):
    producer.produce(topic, value=b'v%d' % i, on_delivery=lambda err, msg: err and failed.append(str(err)))
    producer.poll(0)
left = producer.flush(60)
if left or failed:
    print(json.dumps({'error': f'{left} undelivered, errors: {failed[:3]}'}))
    sys.exit(1)

consumer = Consumer({**settings, 'group.id': group, 'auto.offset.reset': 'earliest', 'error_cb': on_error})
consumer.subscribe([topic])
values = []
deadline = time.time() + 60
while len(values) < count and time.time() < deadline:
    message = consumer.poll(0.5)
    if message is None or message.error():
        continue
    values.append(message.value().decode())
consumer.commit(asynchronous=False)
consumer.close()
print(json.dumps({'values': values}))
