// A cluster whose only listener is SASL_SSL: brokers replicate and write transaction markers to
// each other over TLS, logged in with SCRAM as a principal the ACLs let through, as a Kafka cluster
// with inter.broker.listener.name and sasl.mechanism.inter.broker.protocol does.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Admin, Consumer, Producer } from '@millrace/client';
import { makeTestPki, type TestPki } from '../../../../compat/harness/certificates.ts';
import { startEtcd, type EtcdServer } from '../../../cluster/src/test-support/etcd-server.ts';
import { Broker } from '../broker.ts';
import { buildBrokerConfig } from '../config/broker-config.ts';
import { silentLogger } from '../logger.ts';
import { waitFor } from '../test-support/wait-for.ts';
import { parseAddScram } from './add-scram.ts';

let etcd: EtcdServer;
let pki: TestPki;
const dirs: string[] = [];

before(async () => {
  etcd = await startEtcd();
  pki = await makeTestPki();
});

after(async () => {
  await etcd.stop();
  pki.dispose();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function startMember(nodeId: number, brokerPassword: string, addScram: string[] = []): Promise<Broker> {
  const dataDir = mkdtempSync(join(tmpdir(), `millrace-secured-${nodeId}-`));
  dirs.push(dataDir);
  return Broker.start({
    dataDir, host: '127.0.0.1', port: 0, log: silentLogger, addScram: addScram.map(parseAddScram),
    config: buildBrokerConfig({
      'node.id': String(nodeId), 'etcd.endpoints': etcd.endpoint, 'cluster.name': 'secured',
      listeners: 'SASL_SSL://127.0.0.1:0',
      'ssl.keystore.location': pki.brokerPem, 'ssl.truststore.location': pki.caCert,
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'inter.broker.listener.name': 'SASL_SSL', 'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="${brokerPassword}";`,
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'super.users': 'User:broker;User:admin',
      'offsets.topic.replication.factor': '2', 'transaction.state.log.replication.factor': '2', 'transaction.state.log.min.isr': '1',
      'group.initial.rebalance.delay.ms': '0',
    }),
  });
}

test('brokers whose only listener is SASL_SSL replicate, and run transactions, over it; a broker with a wrong password of its own cannot follow', async () => {
  const users = ['SCRAM-SHA-512=[name=broker,password=broker-secret]', 'SCRAM-SHA-512=[name=admin,password=admin-secret]'];
  const one = await startMember(1, 'broker-secret', users);
  const two = await startMember(2, 'broker-secret');
  let three: Broker | null = null;
  const client = { brokers: [`127.0.0.1:${one.port}`], tls: { ca: readFileSync(pki.caCert, 'utf8') }, sasl: { mechanism: 'SCRAM-SHA-512' as const, username: 'admin', password: 'admin-secret' } };
  const admin = new Admin(client);
  try {
    await admin.createTopics([{ topic: 'secured', partitions: 2, replicationFactor: 2 }]);
    await waitFor('both replicas of each partition in the ISR', async () => (await admin.describeTopics(['secured']))[0].partitions.every((p) => p.isr.length === 2));

    // Transaction markers go from the coordinator to each partition's leader, over the secured listener too.
    const producer = new Producer({ ...client, transactionalId: 'secured-txn' });
    await producer.beginTransaction();
    await producer.send('secured', Array.from({ length: 20 }, (_, i) => ({ key: String(i), value: `v${i}` })));
    await producer.commitTransaction();
    await producer.close();
    const consumer = new Consumer({ ...client, groupId: 'secured-readers', autoOffsetReset: 'earliest', isolation: 'read_committed' });
    consumer.subscribe(['secured']);
    const seen = new Set<string>();
    for await (const record of consumer.records()) {
      seen.add(record.value!.toString());
      if (seen.size === 20) break;
    }
    await consumer.close();
    const followed = await admin.describeTopics(['secured']);
    assert.ok(followed[0].partitions.every((p) => p.isr.length === 2), 'the followers kept up');

    // A broker that logs in with a wrong password of its own never copies its leader's records.
    three = await startMember(3, 'wrong');
    await one.state.cluster!.topics.createTopic('unfollowed', 1, 2, {}, [[1, 3]]);
    const unfollowed = () => admin.describeTopics(['unfollowed']).then(([t]) => t.partitions[0], () => null);
    await waitFor('broker 1 leading unfollowed', async () => (await unfollowed())?.leader === 1);
    const acksOne = new Producer({ ...client, acks: 1 });
    await acksOne.send('unfollowed', [{ value: 'only on the leader' }]);
    await acksOne.close();
    const copied = () => three!.state.topics.partition('unfollowed', 0)?.log.logEndOffset ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal(one.state.topics.partition('unfollowed', 0)!.log.logEndOffset, 1);
    assert.equal(copied(), 0, 'the follower that cannot log in has copied nothing');
  } finally {
    await admin.close();
    await three?.stop();
    await two.stop();
    await one.stop();
  }
});
