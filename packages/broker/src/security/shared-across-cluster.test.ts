// In a cluster, SCRAM users, ACLs and client quotas are the cluster's: made through one broker,
// they hold on every other, a broker that joins later finds them, and one restarted keeps them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  type AlterClientQuotasResponse, type AlterUserScramCredentialsResponse, ApiKey, createAlterClientQuotasRequest, createAlterClientQuotasRequestEntityData,
  createAlterClientQuotasRequestEntryData, createAlterClientQuotasRequestOpData, createAlterUserScramCredentialsRequest,
  createAlterUserScramCredentialsRequestScramCredentialUpsertion, createCreateAclsRequest, createCreateAclsRequestAclCreation, createDescribeAclsRequest,
  createDescribeClientQuotasRequest, type CreateAclsResponse, type DescribeAclsResponse, type DescribeClientQuotasResponse, ErrorCode,
} from '@millrace/protocol';
import { AclOperation, PatternType, PermissionType, ResourceType, saltedPassword, SCRAM_MECHANISMS } from '@millrace/security';
import { startEtcd, type EtcdServer } from '../../../cluster/src/test-support/etcd-server.ts';
import { Broker } from '../broker.ts';
import { buildBrokerConfig } from '../config/broker-config.ts';
import { silentLogger } from '../logger.ts';
import { scramLoggedIn } from '../test-support/sasl-login.ts';
import { waitFor } from '../test-support/wait-for.ts';
import { parseAddScram } from './add-scram.ts';

let etcd: EtcdServer;
const dirs: string[] = [];

before(async () => {
  etcd = await startEtcd();
});

after(async () => {
  await etcd.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function startMember(nodeId: number, addScram: string[] = [], dataDir = mkdtempSync(join(tmpdir(), `millrace-shared-${nodeId}-`))): Promise<{ broker: Broker; sasl: number; dataDir: string }> {
  dirs.push(dataDir);
  const broker = await Broker.start({
    dataDir, host: '127.0.0.1', port: 0, log: silentLogger, addScram: addScram.map(parseAddScram),
    config: buildBrokerConfig({
      'node.id': String(nodeId), 'etcd.endpoints': etcd.endpoint, 'cluster.name': 'shared-security',
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'super.users': 'User:admin',
    }),
  });
  return { broker, sasl: broker.boundListeners.find((l) => l.name === 'SASL_PLAINTEXT')!.port, dataDir };
}

test('users, ACLs and quotas made through one broker hold on the others, survive a restart, and reach a broker that joins later', async () => {
  const one = await startMember(1, ['SCRAM-SHA-256=[name=admin,password=admin-secret]']);
  let two = await startMember(2);
  let three: Awaited<ReturnType<typeof startMember>> | null = null;
  try {
    // --add-scram on broker 1 made admin a user of the cluster: broker 2 knows them.
    const adminOnTwo = await scramLoggedIn(two.sasl, 'SCRAM-SHA-256', 'admin', 'admin-secret');
    const adminOnOne = await scramLoggedIn(one.sasl, 'SCRAM-SHA-256', 'admin', 'admin-secret');

    const salt = randomBytes(16);
    const users = await adminOnOne.request<AlterUserScramCredentialsResponse>(ApiKey.AlterUserScramCredentials, 0, createAlterUserScramCredentialsRequest({
      upsertions: [createAlterUserScramCredentialsRequestScramCredentialUpsertion({ name: 'carol', mechanism: SCRAM_MECHANISMS['SCRAM-SHA-512'].type, iterations: 4096, salt, saltedPassword: saltedPassword('SCRAM-SHA-512', 'carol-secret', salt, 4096) })],
    }));
    assert.equal(users.results[0].errorCode, ErrorCode.NONE);
    (await scramLoggedIn(two.sasl, 'SCRAM-SHA-512', 'carol', 'carol-secret')).close();

    const created = await adminOnTwo.request<CreateAclsResponse>(ApiKey.CreateAcls, 3, createCreateAclsRequest({
      creations: [createCreateAclsRequestAclCreation({ resourceType: ResourceType.TOPIC, resourceName: 'orders', resourcePatternType: PatternType.LITERAL, principal: 'User:carol', host: '*', operation: AclOperation.READ, permissionType: PermissionType.ALLOW })],
    }));
    assert.equal(created.results[0].errorCode, ErrorCode.NONE);
    const aclsOn = async (port: number) => {
      const client = await scramLoggedIn(port, 'SCRAM-SHA-256', 'admin', 'admin-secret');
      const r = await client.request<DescribeAclsResponse>(ApiKey.DescribeAcls, 3, createDescribeAclsRequest({ resourceTypeFilter: ResourceType.ANY, patternTypeFilter: PatternType.ANY, operation: AclOperation.ANY, permissionType: PermissionType.ANY, resourceNameFilter: null, principalFilter: null, hostFilter: null }));
      client.close();
      return r.resources.map((res) => `${res.resourceName}:${res.acls.map((a) => a.principal).join(',')}`);
    };
    assert.deepEqual(await aclsOn(one.sasl), ['orders:User:carol'], 'the ACL made through broker 2 holds on broker 1');

    const quotas = await adminOnOne.request<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, 1, createAlterClientQuotasRequest({
      entries: [createAlterClientQuotasRequestEntryData({ entity: [createAlterClientQuotasRequestEntityData({ entityType: 'user', entityName: 'carol' })], ops: [createAlterClientQuotasRequestOpData({ key: 'producer_byte_rate', value: 1024, remove: false })] })],
    }));
    assert.equal(quotas.entries[0].errorCode, ErrorCode.NONE);
    const quotasOn = async (port: number) => {
      const client = await scramLoggedIn(port, 'SCRAM-SHA-256', 'admin', 'admin-secret');
      const r = await client.request<DescribeClientQuotasResponse>(ApiKey.DescribeClientQuotas, 1, createDescribeClientQuotasRequest({ components: [], strict: false }));
      client.close();
      return r.entries!.map((e) => `${e.entity.map((p) => `${p.entityType}=${p.entityName}`).join(',')}:${e.values.map((v) => `${v.key}=${v.value}`).join(',')}`);
    };
    // Each broker applies the change as its watch of etcd reports it.
    await waitFor('broker 2 seeing the quota', async () => (await quotasOn(two.sasl)).length === 1);
    assert.deepEqual(await quotasOn(two.sasl), ['user=carol:producer_byte_rate=1024']);
    adminOnOne.close();
    adminOnTwo.close();

    await two.broker.stop();
    two = await startMember(2, [], two.dataDir);
    assert.deepEqual(await aclsOn(two.sasl), ['orders:User:carol'], 'after a restart');
    three = await startMember(3);
    assert.deepEqual(await aclsOn(three.sasl), ['orders:User:carol'], 'on a broker that joined later');
    assert.deepEqual(await quotasOn(three.sasl), ['user=carol:producer_byte_rate=1024']);
    (await scramLoggedIn(three.sasl, 'SCRAM-SHA-512', 'carol', 'carol-secret')).close();
  } finally {
    await three?.broker.stop();
    await two.broker.stop();
    await one.broker.stop();
  }
});
