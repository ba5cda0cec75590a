"""kafka-python 2.0.2 over a secured listener (it authenticates with SaslHandshake v0 and bare SASL
frames): produce COUNT values, then read them back in a consumer group.

Usage: secure_kafka_python.py SETTINGS_JSON TOPIC COUNT GROUP
SETTINGS_JSON holds kafka-python's keyword arguments (security_protocol, sasl_mechanism, ...), and
for OAUTHBEARER "oauth_token", which a token provider object hands the client.
Prints {"values": [...]} or {"error": "..."} and exits 1.
"""
import json
import sys

from kafka import KafkaConsumer, KafkaProducer

settings, topic, count, group = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]


class TokenProvider:
    """kafka-python's OAUTHBEARER token source: an object with a token() method."""

    def __init__(self, token):
        self._token = token

    def token(self):
        return self._token


if 'oauth_token' in settings:
    settings['sasl_oauth_token_provider'] = TokenProvider(settings.pop('oauth_token'))
try:
    producer = KafkaProducer(**settings, acks='all', linger_ms=5)
    futures = [producer.send(topic, value=b'v%d' % i) for i in range(count)]
    producer.flush(60)
    for f in futures:
        f.get(timeout=60)
    producer.close()

    consumer = KafkaConsumer(topic, **settings, group_id=group, auto_offset_reset='earliest', consumer_timeout_ms=10000)
    values = []
    for message in consumer:
        values.append(message.value.decode())
        if len(values) == count:
            break
    consumer.commit()
    consumer.close()
except Exception as err:  # the client's own error is the result: the test checks its kind
    print(json.dumps({'error': f'{type(err).__name__}: {err}'}))
    sys.exit(1)
print(json.dumps({'values': values}))
