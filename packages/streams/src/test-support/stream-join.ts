import type { StoreType } from '../stores/key-value-store.ts';
import { StreamsBuilder } from '../dsl/streams-builder.ts';
import { JoinWindows } from '../dsl/windows.ts';
import { Serdes } from '../serdes.ts';
import { s, text, type Workload, type WorkloadRow } from './workload.ts';

const windows = JoinWindows.ofTimeDifference('10s', { grace: '5s' });

/** Orders joined with payments within 10 s (5 s grace): inner, left and outer (§3.5). */
export const streamJoin: Workload = {
  name: 'stream-stream join with grace, inner, left and outer',
  topology(defaultStore?: StoreType) {
    const builder = new StreamsBuilder({ defaultStore });
    const orders = builder.stream('orders', { key: Serdes.string(), value: Serdes.string() });
    const payments = builder.stream('payments', { key: Serdes.string(), value: Serdes.string() });
    const render = (o: string | null, p: string | null) => `[${o ?? 'null'},${p ?? 'null'}]`;
    orders.join(payments, render, windows, { name: 'paid-inner' }).to('joined-inner', { value: Serdes.string() });
    orders.leftJoin(payments, render, windows, { name: 'paid-left' }).to('joined-left', { value: Serdes.string() });
    orders.outerJoin(payments, render, windows, { name: 'paid-outer' }).to('joined-outer', { value: Serdes.string() });
    return builder.build();
  },
  inputTopics: ['orders', 'payments'],
  outputTopics: ['joined-inner', 'joined-left', 'joined-outer'],
  format: (_topic, _key, value, timestamp) => `${text(value)} @${timestamp / 1000}`,
  rows: ([
    ['orders', 'O1', 'o1', 0, [], [], []],
    ['payments', 'O1', 'p1', 4, ['[o1,p1] @4'], ['[o1,p1] @4'], ['[o1,p1] @4']],
    ['orders', 'O2', 'o2', 5, [], [], []],
    ['payments', 'O3', 'p3', 7, [], [], []],
    ['payments', 'O1', 'p1b', 12, [], [], []],
    ['orders', 'O2', 'o2b', 14, [], [], []],
    ['orders', 'O9', 'o9', 30, [], ['[o2,null] @5', '[o2b,null] @14'], ['[o2,null] @5', '[null,p3] @7', '[null,p1b] @12', '[o2b,null] @14']],
  ] as const).map(([topic, key, value, ts, inner, left, outer]): WorkloadRow => ({
    input: { topic, key, value, timestamp: s(ts) },
    output: { 'joined-inner': [...inner], 'joined-left': [...left], 'joined-outer': [...outer] },
  })),
};
