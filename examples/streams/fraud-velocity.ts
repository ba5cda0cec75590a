// A fraud-style velocity check with the Processor API: a card used 3 times within a minute raises
// an alert. The card's recent payment times live in a store (restored from its changelog after a
// restart); a punctuator on stream time forgets cards idle for a minute.
//   node examples/streams/fraud-velocity.ts --brokers localhost:9092 --input card-payments --output fraud-alerts
// Input records: key = card number, value = the amount.
import { fileURLToPath } from 'node:url';
import { type KeyValueStore, type Processor, type ProcessorContext, type StreamRecord, Serdes, Stores, StreamsBuilder, type StoreType, type Topology } from '@millrace/streams';
import { exampleArgs, runUntilStopped } from './run-example.ts';

const WINDOW_MS = 60_000;
const LIMIT = 3;

/**
 * Keeps each card's payment times of the last minute; forwards an alert at the third. With
 * `reportEveryMs`, also forwards how many cards it tracks (key "tracked-cards") on the wall clock.
 */
export class VelocityCheck implements Processor<string, string, string, string> {
  private context!: ProcessorContext<string, string>;
  private recent!: KeyValueStore<string, number[]>;
  private readonly reportEveryMs: number | null;

  constructor(options: { reportEveryMs?: number } = {}) {
    this.reportEveryMs = options.reportEveryMs ?? null;
  }

  init(context: ProcessorContext<string, string>): void {
    this.context = context;
    this.recent = context.getStateStore('recent-payments');
    context.schedule(WINDOW_MS, 'stream-time', (now) => {
      for (const [card, times] of this.recent.all()) if (times[times.length - 1] < now - WINDOW_MS) this.recent.delete(card);
    });
    if (this.reportEveryMs !== null) {
      context.schedule(this.reportEveryMs, 'wall-clock', (now) => context.forward({ key: 'tracked-cards', value: String(this.recent.approximateNumEntries()), timestamp: now, headers: [] }));
    }
  }

  process(record: StreamRecord<string, string>): void {
    const t = record.timestamp;
    const times = [...(this.recent.get(record.key) ?? []).filter((x) => x >= t - WINDOW_MS), t];
    this.recent.put(record.key, times);
    if (times.length >= LIMIT) this.context.forward({ ...record, value: `${times.length} payments in ${(t - times[0]) / 1000} s, the last of ${record.value}` });
  }
}

export function fraudVelocity(input: string, output: string, defaultStore: StoreType = 'in-memory'): Topology {
  const builder = new StreamsBuilder({ defaultStore });
  builder.addStateStore(Stores.keyValue('recent-payments', Serdes.string(), Serdes.json<number[]>(), { type: defaultStore }));
  builder.stream(input, { key: Serdes.string(), value: Serdes.string() })
    .process(() => new VelocityCheck(), { name: 'velocity-check', stores: ['recent-payments'], key: Serdes.string(), value: Serdes.string() })
    .to(output);
  return builder.build();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = exampleArgs('fraud-velocity.ts --brokers HOST:PORT --input TOPIC --output TOPIC [--application-id ID] [--exactly-once] [--persistent [--state-dir DIR]]', ['input', 'output'], 'fraud-velocity');
  await runUntilStopped(fraudVelocity(args.values.input, args.values.output, args.store), args.config);
}
