import type { StoreType } from '../stores/key-value-store.ts';
import { StreamsBuilder } from '../dsl/streams-builder.ts';
import { Serdes } from '../serdes.ts';
import { text, type Workload, type WorkloadRow } from './workload.ts';

interface User {
  name: string;
  region: string;
}

/** Clicks enriched with the user's region from a users table, inner and left joined (§3.4). */
export const enrichment: Workload = {
  name: 'stream-table enrichment, inner and left join',
  topology(defaultStore?: StoreType) {
    const builder = new StreamsBuilder({ defaultStore });
    const users = builder.table('users', { key: Serdes.string(), value: Serdes.json<User>(), name: 'users' });
    const clicks = builder.stream('clicks', { key: Serdes.string(), value: Serdes.string() });
    const render = (page: string, user: User | null) => `(${page}, ${user?.region ?? 'null'})`;
    clicks.join(users, render).to('enriched-inner', { value: Serdes.string() });
    clicks.leftJoin(users, render).to('enriched-left', { value: Serdes.string() });
    return builder.build();
  },
  inputTopics: ['users', 'clicks'],
  outputTopics: ['enriched-inner', 'enriched-left'],
  format: (_topic, key, value, timestamp) => `${key === null ? 'null' : text(key)}→${text(value)} @${timestamp}`,
  rows: ([
    ['users', 'alice', '{"name":"Alice","region":"EU"}', 1, [], []],
    ['clicks', 'alice', '/home', 2, ['alice→(/home, EU) @2'], ['alice→(/home, EU) @2']],
    ['clicks', 'bob', '/cart', 3, [], ['bob→(/cart, null) @3']],
    ['users', 'bob', '{"name":"Bob","region":"US"}', 4, [], []],
    ['clicks', 'bob', '/checkout', 5, ['bob→(/checkout, US) @5'], ['bob→(/checkout, US) @5']],
    ['users', 'alice', '{"name":"Alice","region":"APAC"}', 6, [], []],
    ['clicks', 'alice', '/pay', 7, ['alice→(/pay, APAC) @7'], ['alice→(/pay, APAC) @7']],
    ['users', 'alice', null, 8, [], []],
    ['clicks', 'alice', '/logout', 9, [], ['alice→(/logout, null) @9']],
    ['clicks', 'carol', null, 10, [], []],
    ['clicks', null, '/x', 11, [], ['null→(/x, null) @11']],
  ] as const).map(([topic, key, value, ts, inner, left]): WorkloadRow => ({
    input: { topic, key, value, timestamp: ts },
    output: { 'enriched-inner': [...inner], 'enriched-left': [...left] },
  })),
};

/**
 * The same enrichment with users as a global table (joined by the click's key): on the test driver,
 * where every record is processed as it is piped, the results are the table join's.
 */
export const enrichmentGlobal: Workload = {
  ...enrichment,
  name: 'stream-globaltable enrichment, inner and left join',
  topology(defaultStore?: StoreType) {
    const builder = new StreamsBuilder({ defaultStore });
    const users = builder.globalTable('users', { key: Serdes.string(), value: Serdes.json<User>(), name: 'users' });
    const clicks = builder.stream('clicks', { key: Serdes.string(), value: Serdes.string() });
    const render = (page: string, user: User | null) => `(${page}, ${user?.region ?? 'null'})`;
    clicks.join(users, (userId) => userId, render).to('enriched-inner', { value: Serdes.string() });
    clicks.leftJoin(users, (userId) => userId, render).to('enriched-left', { value: Serdes.string() });
    return builder.build();
  },
};
