import type { RecordHeader } from '@millrace/protocol';
import { type Duration, toMs } from './duration.ts';
import { type ErrorPolicy, Task } from './engine/task.ts';
import type { DropReason, InputRecord, OutputRecord, RecordCollector } from './engine/records.ts';
import { StreamsError } from './errors.ts';
import type { Serde } from './serdes.ts';
import type { StateStore } from './stores/state-store.ts';
import type { Topology } from './topology/topology.ts';

export interface TestDriverOptions {
  applicationId?: string;
  /** The wall clock at start (default now); it moves only with `advanceWallClockTime`. */
  initialWallClockMs?: number;
  onDeserializationError?: ErrorPolicy;
  onProcessingError?: ErrorPolicy;
}

export interface TestRecord<K, V> {
  key: K | null;
  value: V | null;
  timestamp: number;
  headers: RecordHeader[];
}

/**
 * Runs a topology without a broker, as Kafka Streams' TopologyTestDriver: each topic has one
 * partition, every record piped in is processed at once (through repartition topics too), and
 * what the topology writes is read back per topic. The same task engine runs against a broker.
 */
export class TopologyTestDriver {
  readonly applicationId: string;
  private readonly topology: Topology;
  private readonly tasks: Task[] = [];
  private readonly topics = new Map<string, OutputRecord[]>();
  private readonly offsets = new Map<string, number>();
  private readonly pending: OutputRecord[] = [];
  private wallClock: number;
  private closed = false;

  constructor(topology: Topology, options: TestDriverOptions = {}) {
    this.topology = topology;
    this.applicationId = options.applicationId ?? 'test-driver';
    this.wallClock = options.initialWallClockMs ?? Date.now();
    const collector: RecordCollector = {
      send: (record) => {
        let log = this.topics.get(record.topic);
        if (!log) this.topics.set(record.topic, (log = []));
        log.push(record);
        this.pending.push(record);
      },
      partitionCount: () => 1,
    };
    const taskOptions = (globalStores: ReadonlyMap<string, StateStore>) => ({
      applicationId: this.applicationId,
      collector,
      wallClock: () => this.wallClock,
      onDeserializationError: options.onDeserializationError ?? 'fail',
      onProcessingError: options.onProcessingError ?? 'fail',
      log: () => undefined,
      caughtUp: () => true,
      globalStores,
    });
    const globals = topology.globals.map((g) => new Task(topology, g, 0, taskOptions(new Map())));
    const globalStores = new Map(globals.flatMap((t) => [...t.stores]));
    this.tasks.push(...globals);
    for (const subtopology of topology.subtopologies) this.tasks.push(new Task(topology, subtopology, 0, taskOptions(globalStores)));
    this.deliver();
  }

  inputTopic<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>, options: { startTimestamp?: number; autoAdvanceMs?: number } = {}): TestInputTopic<K, V> {
    if (!this.tasks.some((t) => t.inputTopics().includes(topic))) throw new StreamsError('INVALID_TOPOLOGY', `the topology does not read "${topic}"`);
    return new TestInputTopic(this, topic, keySerde, valueSerde, options.startTimestamp ?? this.wallClock, options.autoAdvanceMs ?? 0);
  }

  outputTopic<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>): TestOutputTopic<K, V> {
    return new TestOutputTopic(() => this.topics.get(topic) ?? [], keySerde, valueSerde);
  }

  /** Processes one record written to `topic` (and everything it causes). */
  pipe(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number, headers: RecordHeader[]): void {
    if (this.closed) throw new StreamsError('NOT_RUNNING', 'the test driver is closed');
    this.pending.push({ topic, partition: 0, key, value, timestamp, headers });
    this.deliver();
  }

  /** Moves the wall clock and runs the wall-clock punctuators that fall due. */
  advanceWallClockTime(duration: Duration): void {
    this.wallClock += toMs(duration, 'advanceWallClockTime');
    for (const task of this.tasks) task.punctuateWallClock(this.wallClock);
    this.deliver();
  }

  /** Feeds written records to the tasks that read their topic, in the order written, until none is left. */
  private deliver(): void {
    while (this.pending.length > 0) {
      const record = this.pending.shift()!;
      const offset = this.offsets.get(record.topic) ?? 0;
      this.offsets.set(record.topic, offset + 1);
      for (const task of this.tasks) {
        if (!task.inputTopics().includes(record.topic)) continue;
        const input: InputRecord = { topic: record.topic, partition: 0, offset, timestamp: record.timestamp, key: record.key, value: record.value, headers: record.headers };
        task.addRecords([input]);
        while (task.process());
      }
    }
  }

  /** A store of the topology, to look into (for tables: values are `{ value, timestamp }`). */
  store<S extends StateStore>(name: string): S {
    for (const task of this.tasks) {
      const store = task.stores.get(name);
      if (store) return store as S;
    }
    throw new StreamsError('INVALID_TOPOLOGY', `the topology has no store "${name}"`);
  }

  /** Records dropped so far (late, null keys, ...), of one reason or all. */
  droppedRecords(reason?: DropReason): number {
    let count = 0;
    for (const task of this.tasks) for (const [r, n] of task.dropped) if (reason === undefined || r === reason) count += n;
    return count;
  }

  /** The topics written so far. */
  producedTopicNames(): string[] {
    return [...this.topics.keys()];
  }

  /** The internal topics the application would create on a broker. */
  internalTopics(): string[] {
    return this.topology.internalTopics.map((t) => `${this.applicationId}-${t.name}`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const task of this.tasks) task.close();
  }
}

export class TestInputTopic<K, V> {
  private readonly driver: TopologyTestDriver;
  private readonly topic: string;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private nextTimestamp: number;
  private readonly autoAdvanceMs: number;

  constructor(driver: TopologyTestDriver, topic: string, keySerde: Serde<K>, valueSerde: Serde<V>, startTimestamp: number, autoAdvanceMs: number) {
    this.driver = driver;
    this.topic = topic;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.nextTimestamp = startTimestamp;
    this.autoAdvanceMs = autoAdvanceMs;
  }

  /** Writes one record; without a timestamp, it gets the topic's next one (start, then + autoAdvance each time). */
  pipeInput(key: K | null, value: V | null, timestamp?: number, headers: RecordHeader[] = []): void {
    const ts = timestamp ?? this.nextTimestamp;
    if (timestamp === undefined) this.nextTimestamp += this.autoAdvanceMs;
    this.driver.pipe(this.topic, key === null ? null : this.keySerde.serialize(key), value === null ? null : this.valueSerde.serialize(value), ts, headers);
  }

  pipeValue(value: V | null, timestamp?: number): void {
    this.pipeInput(null, value, timestamp);
  }

  pipeKeyValues(pairs: [K | null, V | null][], timestamp?: number): void {
    for (const [key, value] of pairs) this.pipeInput(key, value, timestamp);
  }
}

export class TestOutputTopic<K, V> {
  private readonly records: () => OutputRecord[];
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private position = 0;

  constructor(records: () => OutputRecord[], keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.records = records;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
  }

  isEmpty(): boolean {
    return this.position >= this.records().length;
  }

  queueSize(): number {
    return this.records().length - this.position;
  }

  readRecord(): TestRecord<K, V> {
    const record = this.records()[this.position];
    if (!record) throw new StreamsError('NOT_RUNNING', 'the output topic has no more records');
    this.position++;
    return {
      key: record.key === null ? null : this.keySerde.deserialize(record.key),
      value: record.value === null ? null : this.valueSerde.deserialize(record.value),
      timestamp: record.timestamp,
      headers: record.headers,
    };
  }

  readKeyValue(): [K | null, V | null] {
    const { key, value } = this.readRecord();
    return [key, value];
  }

  readRecordsToList(): TestRecord<K, V>[] {
    const out: TestRecord<K, V>[] = [];
    while (!this.isEmpty()) out.push(this.readRecord());
    return out;
  }

  readKeyValuesToList(): [K | null, V | null][] {
    return this.readRecordsToList().map((r) => [r.key, r.value]);
  }

  /** The last value of each key read; a null value removes the key (a table's final state). */
  readKeyValuesToMap(): Map<K | null, V> {
    const map = new Map<K | null, V>();
    for (const { key, value } of this.readRecordsToList()) {
      if (value === null) map.delete(key);
      else map.set(key, value);
    }
    return map;
  }
}
