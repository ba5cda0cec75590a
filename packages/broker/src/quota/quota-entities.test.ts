import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  filterEntities, invalidQuotaValue, lookupOrder, MATCH_DEFAULT, MATCH_EXACT, MATCH_SPECIFIED, parseEntity, type QuotaEntity, QuotaRequestError,
} from './quota-entities.ts';

const ENTITIES: QuotaEntity[] = [
  { user: 'alice' }, { user: null }, { user: 'alice', 'client-id': 'app' }, { user: 'bob', 'client-id': null },
  { 'client-id': 'app' }, { 'client-id': null }, { ip: '10.0.0.1' }, { ip: null },
];

test('an entity is a user, a client id, both, or an IP; a null name is the default', () => {
  assert.deepEqual(parseEntity([{ entityType: 'user', entityName: 'alice' }, { entityType: 'client-id', entityName: null }]), { user: 'alice', 'client-id': null });
  assert.deepEqual(parseEntity([{ entityType: 'ip', entityName: '::1' }]), { ip: '::1' });
  const refused: [{ entityType: string; entityName: string | null }[], RegExp][] = [
    [[], /Invalid empty client quota entity/],
    [[{ entityType: 'group', entityName: 'g' }], /Unhandled client quota entity type: group/],
    [[{ entityType: 'user', entityName: 'a' }, { entityType: 'user', entityName: 'b' }], /user is named twice/],
    [[{ entityType: 'user', entityName: '' }], /Empty user not supported/],
    [[{ entityType: 'ip', entityName: '1.2.3.4' }, { entityType: 'user', entityName: 'a' }], /cannot be combined/],
    [[{ entityType: 'ip', entityName: 'example.com' }], /not a valid IP address/],
    [[{ entityType: 'ip', entityName: '300.1.1.1' }], /not a valid IP address/],
  ];
  for (const [parts, message] of refused) assert.throws(() => parseEntity(parts), (err: Error) => err instanceof QuotaRequestError && message.test(err.message), JSON.stringify(parts));
});

test('each key goes on the entities Kafka puts it on, with a value of its type and above 0', () => {
  assert.equal(invalidQuotaValue({ user: 'a' }, 'producer_byte_rate', 1048576), null);
  assert.equal(invalidQuotaValue({ 'client-id': null }, 'request_percentage', 12.5), null);
  assert.equal(invalidQuotaValue({ ip: null }, 'connection_creation_rate', 10), null);
  assert.match(invalidQuotaValue({ user: 'a' }, 'connection_creation_rate', 10)!, /Invalid configuration key connection_creation_rate/);
  assert.match(invalidQuotaValue({ ip: '1.2.3.4' }, 'producer_byte_rate', 10)!, /Invalid configuration key/);
  assert.match(invalidQuotaValue({ user: 'a' }, 'producer_bytes_rate', 10)!, /Invalid configuration key producer_bytes_rate/);
  assert.match(invalidQuotaValue({ user: 'a' }, 'consumer_byte_rate', 1.5)!, /must be a Long value/);
  assert.match(invalidQuotaValue({ user: 'a' }, 'producer_byte_rate', 0)!, /greater than 0/);
  assert.match(invalidQuotaValue({ user: 'a' }, 'request_percentage', -1)!, /greater than 0/);
  assert.match(invalidQuotaValue({ user: 'a' }, 'request_percentage', Infinity)!, /greater than 0/);
  assert.equal(invalidQuotaValue({ user: 'a' }, 'controller_mutation_rate', 0.5), null);
  assert.match(invalidQuotaValue({ ip: null }, 'controller_mutation_rate', 5)!, /Invalid configuration key/);
});

test('DescribeClientQuotas filters: exact, default and any name; strict leaves out entities with other parts', () => {
  const pick = (components: { entityType: string; matchType: number; match: string | null }[], strict = false) => filterEntities(ENTITIES, components, strict);
  assert.deepEqual(pick([]), ENTITIES);
  assert.deepEqual(pick([], true), []);
  assert.deepEqual(pick([{ entityType: 'user', matchType: MATCH_EXACT, match: 'alice' }]), [{ user: 'alice' }, { user: 'alice', 'client-id': 'app' }]);
  assert.deepEqual(pick([{ entityType: 'user', matchType: MATCH_EXACT, match: 'alice' }], true), [{ user: 'alice' }]);
  assert.deepEqual(pick([{ entityType: 'user', matchType: MATCH_DEFAULT, match: null }]), [{ user: null }]);
  assert.deepEqual(pick([{ entityType: 'client-id', matchType: MATCH_SPECIFIED, match: null }]), [{ user: 'alice', 'client-id': 'app' }, { 'client-id': 'app' }]);
  assert.deepEqual(pick([{ entityType: 'user', matchType: MATCH_SPECIFIED, match: null }, { entityType: 'client-id', matchType: MATCH_DEFAULT, match: null }], true), [{ user: 'bob', 'client-id': null }]);
  assert.deepEqual(pick([{ entityType: 'ip', matchType: MATCH_SPECIFIED, match: null }]), [{ ip: '10.0.0.1' }]);
});

test('bad filters are refused with Kafka\'s messages', () => {
  const bad: [{ entityType: string; matchType: number; match: string | null }[], RegExp][] = [
    [[{ entityType: 'user', matchType: MATCH_EXACT, match: null }], /MATCH_TYPE_EXACT, but set match string to null/],
    [[{ entityType: 'user', matchType: MATCH_DEFAULT, match: 'x' }], /MATCH_TYPE_DEFAULT, but also specified a match string/],
    [[{ entityType: 'user', matchType: MATCH_SPECIFIED, match: 'x' }], /MATCH_TYPE_SPECIFIED, but also specified a match string/],
    [[{ entityType: 'user', matchType: 7, match: null }], /Unknown match type 7/],
    [[{ entityType: 'user', matchType: MATCH_DEFAULT, match: null }, { entityType: 'user', matchType: MATCH_SPECIFIED, match: null }], /cannot appear more than once/],
    [[{ entityType: 'topic', matchType: MATCH_SPECIFIED, match: null }], /Unsupported entity type topic/],
    [[{ entityType: '', matchType: MATCH_SPECIFIED, match: null }], /Invalid empty entity type/],
    [[{ entityType: 'ip', matchType: MATCH_SPECIFIED, match: null }, { entityType: 'user', matchType: MATCH_SPECIFIED, match: null }], /IP filter component should not be used with user or clientId/],
  ];
  for (const [components, message] of bad) assert.throws(() => filterEntities(ENTITIES, components, false), message);
});

test('a client\'s quota is looked up from the most specific entity to the least, in Kafka\'s order', () => {
  assert.deepEqual(lookupOrder('alice', 'app'), [
    { user: 'alice', 'client-id': 'app' }, { user: 'alice', 'client-id': null }, { user: 'alice' },
    { user: null, 'client-id': 'app' }, { user: null, 'client-id': null }, { user: null },
    { 'client-id': 'app' }, { 'client-id': null },
  ]);
});
