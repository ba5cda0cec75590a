import type { StoreType } from '../stores/key-value-store.ts';
import { StreamsBuilder } from '../dsl/streams-builder.ts';
import { SessionWindows } from '../dsl/windows.ts';
import { Serdes } from '../serdes.ts';
import { int64Text, s, sessionText, type Workload, type WorkloadRow } from './workload.ts';

const windows = SessionWindows.ofInactivityGap('5s', { grace: '10s' });

/** Sessionization: activity per user in sessions with a 5 s gap and 10 s grace, counted (§3.3). */
export const sessionization: Workload = {
  name: 'sessionization with merges, out-of-order bridging and a late record',
  topology(defaultStore?: StoreType) {
    const builder = new StreamsBuilder({ defaultStore });
    const grouped = builder.stream('activity', { key: Serdes.string(), value: Serdes.string() }).groupByKey();
    grouped.windowedBy(windows).count({ name: 'sessions-on-update' }).toStream().to('sessions-on-update', { key: Serdes.sessionWindowed(Serdes.string()) });
    grouped.windowedBy(windows).emit('onClose').count({ name: 'sessions-on-close' }).toStream().to('sessions-on-close', { key: Serdes.sessionWindowed(Serdes.string()) });
    return builder.build();
  },
  inputTopics: ['activity'],
  outputTopics: ['sessions-on-update', 'sessions-on-close'],
  format: (_topic, key, value, timestamp) => `${sessionText(key)}=${int64Text(value)} @${timestamp / 1000}`,
  rows: ([
    ['u1', 0, ['u1@[0,0]=1 @0'], []],
    ['u1', 3, ['u1@[0,0]=⊥ @0', 'u1@[0,3]=2 @3'], []],
    ['u1', 12, ['u1@[12,12]=1 @12'], []],
    ['u2', 13, ['u2@[13,13]=1 @13'], []],
    ['u1', 8, ['u1@[0,3]=⊥ @3', 'u1@[12,12]=⊥ @12', 'u1@[0,12]=4 @12'], []],
    ['u1', 40, ['u1@[40,40]=1 @40'], ['u1@[0,12]=4 @12', 'u2@[13,13]=1 @13']],
    ['u1', 14, [], []],
  ] as const).map(([key, ts, onUpdate, onClose]): WorkloadRow => ({
    input: { topic: 'activity', key, value: 'click', timestamp: s(ts) },
    output: { 'sessions-on-update': [...onUpdate], 'sessions-on-close': [...onClose] },
    unordered: true,
  })),
};
