import { StreamsBuilder } from '../dsl/streams-builder.ts';
import { TimeWindows } from '../dsl/windows.ts';
import type { Processor, ProcessorContext } from '../processor.ts';
import { Serdes } from '../serdes.ts';
import type { KeyValueStore } from '../stores/key-value-store.ts';
import { Stores } from '../stores/stores.ts';
import { s, text, windowedText, type Workload, type WorkloadRow } from './workload.ts';

interface Spend {
  count: number;
  sum: number;
}

const hopping = TimeWindows.ofSize('60s', { grace: 0 }).advanceBy('30s');

/** Card spend in hopping 60 s windows (30 s advance, no grace); an alert when a window has 3 payments or more than 1000 (§3.7a). */
export const fraudWindows: Workload = {
  name: 'fraud velocity with hopping windows (duplicate alerts per burst)',
  topology() {
    const builder = new StreamsBuilder();
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

const WINDOW_MS = 60_000;

/**
 * The exact sliding rule with the Processor API (§3.7b): per card, the timestamps of the last
 * minute; an alert at the third. A stream-time punctuator forgets cards idle for a minute; a
 * wall-clock one reports how many cards are tracked.
 */
class VelocityCheck implements Processor<string, string, string, string> {
  private context!: ProcessorContext<string, string>;
  private recent!: KeyValueStore<string, number[]>;

  init(context: ProcessorContext<string, string>): void {
    this.context = context;
    this.recent = context.getStateStore('recent-payments');
    context.schedule(WINDOW_MS, 'stream-time', (now) => {
      for (const [card, times] of this.recent.all()) if (times[times.length - 1] < now - WINDOW_MS) this.recent.delete(card);
    });
    context.schedule(WINDOW_MS, 'wall-clock', (now) => context.forward({ key: 'tracked-cards', value: String(this.recent.approximateNumEntries()), timestamp: now, headers: [] }, 'velocity-stats'));
  }

  process(record: { key: string; value: string; timestamp: number }): void {
    const t = record.timestamp;
    const times = [...(this.recent.get(record.key) ?? []).filter((x) => x >= t - WINDOW_MS), t];
    this.recent.put(record.key, times);
    if (times.length >= 3) this.context.forward({ key: record.key, value: `ALERT n=${times.length} span ${times[0] / 1000}-${t / 1000}`, timestamp: t, headers: [] }, 'velocity-alerts');
  }
}

export function velocityTopology() {
  const builder = new StreamsBuilder();
  builder.addStateStore(Stores.keyValue('recent-payments', Serdes.string(), Serdes.json<number[]>()));
  const checked = builder.stream('card-payments', { key: Serdes.string(), value: Serdes.string() })
    .process(() => new VelocityCheck(), { name: 'velocity-check', stores: ['recent-payments'], key: Serdes.string(), value: Serdes.string() });
  // The processor forwards to its children by name.
  checked.filter(() => true, { name: 'velocity-alerts' }).to('velocity-alerts');
  checked.filter(() => true, { name: 'velocity-stats' }).to('velocity-stats');
  return builder.build();
}

export const fraudVelocity: Workload = {
  name: 'fraud velocity with the Processor API and punctuation',
  topology: velocityTopology,
  inputTopics: ['card-payments'],
  outputTopics: ['velocity-alerts'],
  format: (_topic, key, value, timestamp) => `${text(key)} ${text(value)} @${timestamp / 1000}`,
  rows: ([
    [0, []], [20, []], [50, ['C1 ALERT n=3 span 0-50 @50']], [65, ['C1 ALERT n=3 span 20-65 @65']],
    [130, []], [140, []], [150, ['C1 ALERT n=3 span 130-150 @150']],
  ] as const).map(([ts, alerts]): WorkloadRow => ({
    input: { topic: 'card-payments', key: 'C1', value: '10', timestamp: s(ts) },
    output: { 'velocity-alerts': [...alerts] },
  })),
};
