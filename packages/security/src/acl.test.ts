import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AclBinding, type AclFilter, AclOperation, authorize, filterMatches, invalidBinding, PatternType, PermissionType, ResourceType } from './acl.ts';

const alice = { principal: { type: 'User', name: 'alice' }, host: '10.0.0.1' };
const bob = { principal: { type: 'User', name: 'bob' }, host: '10.0.0.2' };
const closed = { superUsers: new Set<string>(), allowEveryoneIfNoAclFound: false };

function bind(over: Partial<AclBinding>): AclBinding {
  return { resourceType: ResourceType.TOPIC, resourceName: 'orders', patternType: PatternType.LITERAL, principal: 'User:alice', host: '*', operation: AclOperation.READ, permissionType: PermissionType.ALLOW, ...over };
}

test('with no ACL on a resource it is closed, unless allow.everyone.if.no.acl.found; super users may always act', () => {
  assert.equal(authorize([], closed, alice, ResourceType.TOPIC, 'orders', AclOperation.READ), false);
  assert.equal(authorize([], { ...closed, allowEveryoneIfNoAclFound: true }, alice, ResourceType.TOPIC, 'orders', AclOperation.READ), true);
  // An ACL for someone else on the resource means the resource is governed: the open default no longer applies.
  assert.equal(authorize([bind({ principal: 'User:bob' })], { ...closed, allowEveryoneIfNoAclFound: true }, alice, ResourceType.TOPIC, 'orders', AclOperation.READ), false);
  assert.equal(authorize([bind({ permissionType: PermissionType.DENY, operation: AclOperation.ALL })], { ...closed, superUsers: new Set(['User:alice']) }, alice, ResourceType.TOPIC, 'orders', AclOperation.WRITE), true);
});

test('literal, wildcard and prefixed names; principal and host wildcards', () => {
  const acls = [bind({}), bind({ resourceName: 'pay-', patternType: PatternType.PREFIXED, operation: AclOperation.WRITE }), bind({ resourceName: '*', principal: 'User:*', host: '10.0.0.2', operation: AclOperation.DESCRIBE })];
  assert.equal(authorize(acls, closed, alice, ResourceType.TOPIC, 'orders', AclOperation.READ), true);
  assert.equal(authorize(acls, closed, alice, ResourceType.TOPIC, 'orders-eu', AclOperation.READ), false, 'a literal name is not a prefix');
  assert.equal(authorize(acls, closed, alice, ResourceType.TOPIC, 'pay-eu', AclOperation.WRITE), true);
  assert.equal(authorize(acls, closed, alice, ResourceType.TOPIC, 'payments', AclOperation.WRITE), false);
  assert.equal(authorize(acls, closed, bob, ResourceType.TOPIC, 'anything', AclOperation.DESCRIBE), true, 'User:* from host 10.0.0.2');
  assert.equal(authorize(acls, closed, alice, ResourceType.TOPIC, 'anything', AclOperation.DESCRIBE), false, 'the host does not match');
  assert.equal(authorize(acls, closed, alice, ResourceType.GROUP, 'orders', AclOperation.READ), false, 'another resource type');
});

test('DENY wins over ALLOW; ALL covers every operation; READ, WRITE, DELETE and ALTER imply DESCRIBE, ALTER_CONFIGS implies DESCRIBE_CONFIGS, a DENY implies nothing', () => {
  assert.equal(authorize([bind({ operation: AclOperation.ALL }), bind({ permissionType: PermissionType.DENY, operation: AclOperation.WRITE })], closed, alice, ResourceType.TOPIC, 'orders', AclOperation.WRITE), false);
  assert.equal(authorize([bind({ operation: AclOperation.ALL })], closed, alice, ResourceType.TOPIC, 'orders', AclOperation.ALTER_CONFIGS), true);
  for (const op of [AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER]) {
    assert.equal(authorize([bind({ operation: op })], closed, alice, ResourceType.TOPIC, 'orders', AclOperation.DESCRIBE), true);
  }
  assert.equal(authorize([bind({ operation: AclOperation.CREATE })], closed, alice, ResourceType.TOPIC, 'orders', AclOperation.DESCRIBE), false);
  assert.equal(authorize([bind({ operation: AclOperation.ALTER_CONFIGS })], closed, alice, ResourceType.TOPIC, 'orders', AclOperation.DESCRIBE_CONFIGS), true);
  assert.equal(authorize([bind({ operation: AclOperation.DESCRIBE }), bind({ permissionType: PermissionType.DENY, operation: AclOperation.READ })], closed, alice, ResourceType.TOPIC, 'orders', AclOperation.DESCRIBE), true);
  // A DENY for everyone on a prefix beats an ALLOW for one user on a literal name.
  assert.equal(authorize([bind({}), bind({ resourceName: 'ord', patternType: PatternType.PREFIXED, principal: 'User:*', permissionType: PermissionType.DENY })], closed, alice, ResourceType.TOPIC, 'orders', AclOperation.READ), false);
});

test('filters: ANY matches every pattern and name, MATCH finds the bindings that apply to a name, LITERAL and PREFIXED match exactly', () => {
  const literal = bind({});
  const prefixed = bind({ resourceName: 'ord', patternType: PatternType.PREFIXED });
  const wildcard = bind({ resourceName: '*' });
  const all = [literal, prefixed, wildcard];
  const filter = (over: Partial<AclFilter>): AclFilter => ({ resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: AclOperation.ANY, permissionType: PermissionType.ANY, ...over });
  assert.deepEqual(all.filter((b) => filterMatches(filter({}), b)), all);
  assert.deepEqual(all.filter((b) => filterMatches(filter({ resourceName: 'orders', patternType: PatternType.MATCH }), b)), all);
  assert.deepEqual(all.filter((b) => filterMatches(filter({ resourceName: 'orders', patternType: PatternType.LITERAL }), b)), [literal]);
  assert.deepEqual(all.filter((b) => filterMatches(filter({ resourceName: 'ord', patternType: PatternType.PREFIXED }), b)), [prefixed]);
  assert.deepEqual(all.filter((b) => filterMatches(filter({ principal: 'User:bob' }), b)), []);
  assert.deepEqual(all.filter((b) => filterMatches(filter({ resourceType: ResourceType.GROUP }), b)), []);
});

test('bindings that cannot be stored are refused with the reason', () => {
  assert.equal(invalidBinding(bind({})), null);
  assert.match(invalidBinding(bind({ patternType: PatternType.MATCH }))!, /pattern type MATCH/);
  assert.match(invalidBinding(bind({ operation: AclOperation.ANY }))!, /operation ANY/);
  assert.match(invalidBinding(bind({ resourceType: ResourceType.ANY }))!, /resource type/);
  assert.match(invalidBinding(bind({ principal: 'alice' }))!, /User:name/);
  assert.match(invalidBinding(bind({ resourceType: ResourceType.CLUSTER, resourceName: 'x' }))!, /kafka-cluster/);
  assert.match(invalidBinding(bind({ permissionType: PermissionType.ANY }))!, /ALLOW or DENY/);
});
