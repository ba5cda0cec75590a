import type { StoreType } from '../stores/key-value-store.ts';
import { StreamsBuilder } from '../dsl/streams-builder.ts';
import { Serdes } from '../serdes.ts';
import { text, type Workload, type WorkloadRow } from './workload.ts';

interface Order {
  id: string;
  pid: string;
}

/** Orders joined with the product their `pid` names, inner and left (§3.6). */
export const foreignKeyJoin: Workload = {
  name: 'foreign-key table-table join, inner and left',
  topology(defaultStore?: StoreType) {
    const builder = new StreamsBuilder({ defaultStore });
    const orders = builder.table('fk-orders', { key: Serdes.string(), value: Serdes.json<Order>(), name: 'fk-orders' });
    const products = builder.table('fk-products', { key: Serdes.string(), value: Serdes.string(), name: 'fk-products' });
    const render = (order: Order, product: string | null) => `(${order.id},${product ?? 'null'})`;
    orders.join(products, (order) => order.pid, render, { name: 'order-product', value: Serdes.string() }).toStream().to('fk-inner', { value: Serdes.string() });
    orders.leftJoin(products, (order) => order.pid, render, { name: 'order-product-left', value: Serdes.string() }).toStream().to('fk-left', { value: Serdes.string() });
    return builder.build();
  },
  inputTopics: ['fk-products', 'fk-orders'],
  outputTopics: ['fk-inner', 'fk-left'],
  format: (_topic, key, value) => `${text(key)}→${text(value)}`,
  rows: ([
    ['fk-products', 'P1', 'pen', [], []],
    ['fk-orders', 'O1', '{"id":"O1","pid":"P1"}', ['O1→(O1,pen)'], ['O1→(O1,pen)']],
    ['fk-orders', 'O2', '{"id":"O2","pid":"P2"}', [], ['O2→(O2,null)']],
    ['fk-products', 'P2', 'ink', ['O2→(O2,ink)'], ['O2→(O2,ink)']],
    ['fk-products', 'P1', 'pen-v2', ['O1→(O1,pen-v2)'], ['O1→(O1,pen-v2)']],
    ['fk-orders', 'O1', '{"id":"O1","pid":"P9"}', ['O1→⊥'], ['O1→(O1,null)']],
    ['fk-products', 'P2', null, ['O2→⊥'], ['O2→(O2,null)']],
    ['fk-orders', 'O2', null, ['O2→⊥'], ['O2→⊥']],
  ] as const).map(([topic, key, value, inner, left], i): WorkloadRow => ({
    input: { topic, key, value, timestamp: i + 1 },
    output: { 'fk-inner': [...inner], 'fk-left': [...left] },
  })),
};
