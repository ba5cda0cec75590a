import type { StoreType } from '../stores/key-value-store.ts';
import { StreamsBuilder } from '../dsl/streams-builder.ts';
import { TimeWindows } from '../dsl/windows.ts';
import { Serdes } from '../serdes.ts';
import { Stores } from '../stores/stores.ts';
import { VelocityCheck } from '../../../../examples/streams/fraud-velocity.ts';
import { s, text, windowedText, type Workload, type WorkloadRow } from './workload.ts';

interface Spend {
  count: number;
  sum: number;
}

const hopping = TimeWindows.ofSize('60s', { grace: 0 }).advanceBy('30s');

/** Card spend in hopping 60 s windows (30 s advance, no grace); an alert when a window has 3 payments or more than 1000 (§3.7a). */
export const fraudWindows: Workload = {
  name: 'fraud velocity with hopping windows (duplicate alerts per burst)',
  topology(defaultStore?: StoreType) {
    const builder = new StreamsBuilder({ defaultStore });
    const spend = builder.stream('spend-events', { key: Serdes.string(), value: Serdes.decimal() }).groupByKey()
      .windowedBy(hopping)
      .aggregate((): Spend => ({ count: 0, sum: 0 }), (_card, amount, agg) => ({ count: agg.count + 1, sum: agg.sum + amount }), { name: 'spend', value: Serdes.json<Spend>() })
      .toStream();
    const key = Serdes.timeWindowed(Serdes.string(), hopping.sizeMs);
    spend.to('spend', { key });
    spend.filter((_w, agg) => agg !== null && (agg.count >= 3 || agg.sum > 1000)).to('alerts', { key });
    return builder.build();
  },
  inputTopics: ['spend-events'],
  outputTopics: ['spend', 'alerts'],
  format: (topic, key, value, timestamp) => {
    const window = windowedText(key, hopping.sizeMs);
    if (topic === 'alerts') return `${window} @${timestamp / 1000}`;
    const { count, sum } = JSON.parse(text(value)) as Spend;
    return `${window} {${count},${sum}}`;
  },
  rows: ([
    ['C1', 10, 200, ['C1@[0,60) {1,200}'], []],
    ['C1', 35, 300, ['C1@[0,60) {2,500}', 'C1@[30,90) {1,300}'], []],
    ['C2', 40, 1500, ['C2@[0,60) {1,1500}', 'C2@[30,90) {1,1500}'], ['C2@[0,60) @40', 'C2@[30,90) @40']],
    ['C1', 50, 100, ['C1@[0,60) {3,600}', 'C1@[30,90) {2,400}'], ['C1@[0,60) @50']],
    ['C1', 70, 50, ['C1@[30,90) {3,450}', 'C1@[60,120) {1,50}'], ['C1@[30,90) @70']],
  ] as const).map(([card, ts, amount, spend, alerts]): WorkloadRow => ({
    input: { topic: 'spend-events', key: card, value: String(amount), timestamp: s(ts) },
    output: { spend: [...spend], alerts: [...alerts] },
  })),
};

/**
 * The exact sliding rule with the Processor API (§3.7b), as the fraud-velocity example runs it:
 * per card, the payment times of the last minute and an alert at the third; a stream-time
 * punctuator forgets idle cards, a wall-clock one reports how many cards are tracked.
 */
export function velocityTopology(defaultStore?: StoreType) {
  const builder = new StreamsBuilder({ defaultStore });
  builder.addStateStore(Stores.keyValue('recent-payments', Serdes.string(), Serdes.json<number[]>(), { type: defaultStore }));
  const outputs = builder.stream('card-payments', { key: Serdes.string(), value: Serdes.string() })
    .process(() => new VelocityCheck({ reportEveryMs: 60_000 }), { name: 'velocity-check', stores: ['recent-payments'], key: Serdes.string(), value: Serdes.string() })
    .split({ name: 'velocity-outputs' })
    .branch((key) => key === 'tracked-cards', 'stats')
    .defaultBranch('alerts');
  outputs.alerts.to('velocity-alerts');
  outputs.stats.to('velocity-stats');
  return builder.build();
}

export const fraudVelocity: Workload = {
  name: 'fraud velocity with the Processor API and punctuation',
  topology: velocityTopology,
  inputTopics: ['card-payments'],
  outputTopics: ['velocity-alerts'],
  format: (_topic, key, value, timestamp) => `${text(key)} ${text(value)} @${timestamp / 1000}`,
  rows: ([
    [0, []], [20, []], [50, ['C1 3 payments in 50 s, the last of 10 @50']], [65, ['C1 3 payments in 45 s, the last of 10 @65']],
    [130, []], [140, []], [150, ['C1 3 payments in 20 s, the last of 10 @150']],
  ] as const).map(([ts, alerts]): WorkloadRow => ({
    input: { topic: 'card-payments', key: 'C1', value: '10', timestamp: s(ts) },
    output: { 'velocity-alerts': [...alerts] },
  })),
};
