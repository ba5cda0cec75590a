import type { StoreType } from '../stores/key-value-store.ts';
import { StreamsBuilder } from '../dsl/streams-builder.ts';
import { TimeWindows } from '../dsl/windows.ts';
import { Serdes } from '../serdes.ts';
import { int64Text, s, windowedText, type Workload, type WorkloadRow } from './workload.ts';

const windows = TimeWindows.ofSize('10s', { grace: '5s' });

/** Tumbling 10 s windows with 5 s grace, counted per key, emitted on each update and on close (§3.2). */
export const tumblingWindows: Workload = {
  name: 'tumbling windowed counts with out-of-order and late records',
  topology(defaultStore?: StoreType) {
    const builder = new StreamsBuilder({ defaultStore });
    const grouped = builder.stream('events', { key: Serdes.string(), value: Serdes.string() }).groupByKey();
    const key = Serdes.timeWindowed(Serdes.string(), windows.sizeMs);
    grouped.windowedBy(windows).count({ name: 'counts-on-update' }).toStream().to('counts-on-update', { key });
    grouped.windowedBy(windows).emit('onClose').count({ name: 'counts-on-close' }).toStream().to('counts-on-close', { key });
    return builder.build();
  },
  inputTopics: ['events'],
  outputTopics: ['counts-on-update', 'counts-on-close'],
  format: (_topic, key, value, timestamp) => `${windowedText(key, windows.sizeMs)}=${int64Text(value)} @${timestamp / 1000}`,
  rows: ([
    ['A', 1, ['A@[0,10)=1 @1'], []],
    ['A', 6, ['A@[0,10)=2 @6'], []],
    ['A', 12, ['A@[10,20)=1 @12'], []],
    ['A', 8, ['A@[0,10)=3 @8'], []],
    ['B', 14, ['B@[10,20)=1 @14'], []],
    ['A', 15, ['A@[10,20)=2 @15'], ['A@[0,10)=3 @8']],
    ['A', 9, [], []],
    ['A', 25, ['A@[20,30)=1 @25'], ['A@[10,20)=2 @15', 'B@[10,20)=1 @14']],
  ] as const).map(([key, ts, onUpdate, onClose]): WorkloadRow => ({
    input: { topic: 'events', key, value: 'x', timestamp: s(ts) },
    output: { 'counts-on-update': [...onUpdate], 'counts-on-close': [...onClose] },
    unordered: true,
  })),
};

const hopping = TimeWindows.ofSize('10s', { grace: 0 }).advanceBy('5s');

/** Hopping 10 s windows advancing by 5 s without grace (§3.2's hopping variant). */
export const hoppingWindows: Workload = {
  name: 'hopping windowed counts',
  topology(defaultStore?: StoreType) {
    const builder = new StreamsBuilder({ defaultStore });
    builder.stream('hops', { key: Serdes.string(), value: Serdes.string() }).groupByKey()
      .windowedBy(hopping).count({ name: 'hop-counts' }).toStream().to('hop-counts', { key: Serdes.timeWindowed(Serdes.string(), hopping.sizeMs) });
    return builder.build();
  },
  inputTopics: ['hops'],
  outputTopics: ['hop-counts'],
  format: (_topic, key, value, timestamp) => `${windowedText(key, hopping.sizeMs)}=${int64Text(value)} @${timestamp / 1000}`,
  rows: [
    { input: { topic: 'hops', key: 'A', value: 'x', timestamp: s(7) }, output: { 'hop-counts': ['A@[0,10)=1 @7', 'A@[5,15)=1 @7'] } },
    { input: { topic: 'hops', key: 'A', value: 'x', timestamp: s(12) }, output: { 'hop-counts': ['A@[5,15)=2 @12', 'A@[10,20)=1 @12'] } },
    // [0,10) closed when stream time reached 12: a record at 9 counts in [5,15) only.
    { input: { topic: 'hops', key: 'A', value: 'x', timestamp: s(9) }, output: { 'hop-counts': ['A@[5,15)=3 @12'] } },
  ],
};
