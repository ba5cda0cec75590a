import { join } from 'node:path';
import { StreamsError } from '../errors.ts';
import type { Cancellable, PunctuationType, RecordMetadata } from '../processor.ts';
import type { StreamRecord } from '../record.ts';
import type { StateStore } from '../stores/state-store.ts';
import type { SinkNode, SourceNode } from '../topology/nodes.ts';
import { topicName } from '../topology/nodes.ts';
import type { Subtopology, Topology } from '../topology/topology.ts';
import { type NodeInstance, NodeContext, type TaskServices } from './node-context.ts';
import { checkInterval, PunctuationQueue } from './punctuation.ts';
import { RecordQueue } from './record-queue.ts';
import type { DropReason, InputRecord, RecordCollector } from './records.ts';

export type ErrorPolicy = 'fail' | 'log-and-continue';

export interface TaskOptions {
  applicationId: string;
  collector: RecordCollector;
  wallClock: () => number;
  /** What a record that cannot be deserialized does: stop the application (default) or be skipped and counted. */
  onDeserializationError: ErrorPolicy;
  /** What an exception thrown while processing a record does: stop (default) or skip the record and count it. */
  onProcessingError: ErrorPolicy;
  log: (message: string) => void;
  /**
   * Whether an input partition has nothing more to read on the broker (as of its last fetch). A
   * task picks its next record by timestamp across its partitions, so it waits while a partition
   * with nothing queued still has records to fetch (Kafka Streams' max.task.idle.ms = 0).
   */
  caughtUp: (topic: string, partition: number) => boolean;
  /** The global tables' stores, which every task reads. */
  globalStores?: ReadonlyMap<string, StateStore>;
  /** Where stream time was when the task last committed (-1: never): windows closed then stay closed. */
  streamTime?: number;
  /** The application's state directory, `<stateDir>/<applicationId>`, under which each task has its own; none keeps persistent stores in memory. */
  stateDirectory?: string;
}

interface QueuedRecord {
  input: InputRecord;
  source: NodeInstance;
  record: StreamRecord<unknown, unknown>;
}

/**
 * One subtopology's work for one partition of its inputs: its processors and stores, a queue per
 * input partition, and its stream time. Records are processed one at a time, the queued record
 * with the smallest timestamp first (Kafka Streams' choice across a task's partitions).
 */
export class Task implements TaskServices {
  readonly id: string;
  readonly partition: number;
  readonly subtopology: Subtopology;
  readonly applicationId: string;
  readonly stores = new Map<string, StateStore>();
  /** Each logged store's changelog topic. */
  readonly changelogs = new Map<string, string>();
  /** The next offset to consume of each input topic: what a commit stores. */
  readonly consumed = new Map<string, number>();
  readonly dropped = new Map<DropReason, number>();
  streamTime = -1;
  commitRequested = false;
  private readonly options: TaskOptions;
  private readonly queues = new Map<string, RecordQueue<QueuedRecord>>();
  private readonly sources = new Map<string, { node: SourceNode; instance: NodeInstance }>();
  private readonly processors: { close?(): void }[] = [];
  private readonly streamPunctuation = new PunctuationQueue();
  private readonly wallPunctuation = new PunctuationQueue();
  private current: InputRecord | undefined;
  private queued = 0;

  constructor(topology: Topology, subtopology: Subtopology, partition: number, options: TaskOptions) {
    this.id = subtopology.id < 0 ? `global-${subtopology.stores[0]}` : `${subtopology.id}_${partition}`;
    this.partition = partition;
    this.subtopology = subtopology;
    this.applicationId = options.applicationId;
    this.options = options;
    this.streamTime = options.streamTime ?? -1;
    for (const name of subtopology.stores) this.stores.set(name, topology.stores.get(name)!.build());
    const instances = new Map<string, NodeInstance>();
    const contexts = new Map<string, NodeContext>();
    const inits: (() => void)[] = [];
    for (const name of subtopology.nodes) {
      const node = topology.nodes.get(name)!;
      const context = new NodeContext(this, name, node.kind === 'processor' ? node.stores : []);
      contexts.set(name, context);
      if (node.kind === 'processor') {
        const processor = node.supplier();
        this.processors.push(processor);
        instances.set(name, { name, process: (r) => processor.process(r) });
        inits.push(() => processor.init?.(context));
      } else if (node.kind === 'source') {
        const instance = { name, process: (r: StreamRecord<unknown, unknown>) => context.forward(r) };
        instances.set(name, instance);
        for (const t of node.topics) this.sources.set(topicName(t, this.applicationId), { node, instance });
      } else {
        instances.set(name, { name, process: (r) => this.sink(node, r) });
      }
    }
    for (const name of subtopology.nodes) contexts.get(name)!.children = topology.nodes.get(name)!.children.map((c) => instances.get(c)!);
    const directory = options.stateDirectory === undefined ? null : join(options.stateDirectory, this.id);
    const opened: StateStore[] = [];
    try {
      for (const [name, store] of this.stores) {
        const changelog = topology.stores.get(name)!.logged ? `${this.applicationId}-${name}-changelog` : null;
        if (changelog !== null) this.changelogs.set(name, changelog);
        store.init({
          taskId: this.id,
          partition,
          directory,
          log: changelog === null ? () => undefined : (key, value, timestamp) => options.collector.send({ topic: changelog, partition, key, value, timestamp, headers: [] }),
        });
        opened.push(store);
      }
    } catch (err) {
      for (const store of opened) store.close();
      throw err;
    }
    for (const init of inits) init();
  }

  /** The input topics this task reads (resolved names). */
  inputTopics(): string[] {
    return [...this.sources.keys()];
  }

  /** Queues consumed records; those that cannot be read are skipped or fail, as the policy says. */
  addRecords(records: InputRecord[]): void {
    for (const input of records) {
      const source = this.sources.get(input.topic);
      if (!source) throw new StreamsError('INVALID_TOPOLOGY', `task ${this.id} got a record of ${input.topic}, which it does not read`);
      const record = this.read(source.node, input);
      if (record === null) {
        this.consumed.set(input.topic, input.offset + 1);
        continue;
      }
      let queue = this.queues.get(input.topic);
      if (!queue) this.queues.set(input.topic, (queue = new RecordQueue()));
      queue.push({ input, source: source.instance, record });
      this.queued++;
    }
  }

  private read(node: SourceNode, input: InputRecord): StreamRecord<unknown, unknown> | null {
    let key: unknown;
    let value: unknown;
    try {
      key = input.key === null ? null : node.keySerde.deserialize(input.key);
      value = input.value === null ? null : node.valueSerde.deserialize(input.value);
    } catch (err) {
      const where = `${input.topic}-${input.partition}@${input.offset}`;
      if (this.options.onDeserializationError === 'fail') throw new StreamsError('SERDE', `cannot deserialize the record at ${where}: ${(err as Error).message}`, { cause: err });
      this.recordDropped('deserialization-error', `${where}: ${(err as Error).message}`);
      return null;
    }
    const timestamp = node.timestampExtractor ? node.timestampExtractor({ key, value, timestamp: input.timestamp, topic: input.topic, partition: input.partition }) : input.timestamp;
    if (!(timestamp >= 0)) {
      this.recordDropped('negative-timestamp', `${input.topic}-${input.partition}@${input.offset} has timestamp ${timestamp}`);
      return null;
    }
    return { key, value, timestamp, headers: input.headers };
  }

  /** Queued records of one input topic (a runtime pauses a partition whose queue is long). */
  buffered(topic: string): number {
    return this.queues.get(topic)?.length ?? 0;
  }

  /**
   * Processes the queued record with the smallest timestamp; false when none is queued, or when an
   * input with nothing queued may still have earlier records to fetch.
   */
  process(): boolean {
    let next: RecordQueue<QueuedRecord> | undefined;
    for (const topic of this.sources.keys()) {
      const queue = this.queues.get(topic);
      if (queue === undefined || queue.length === 0) {
        if (this.queued > 0 && !this.options.caughtUp(topic, this.partition)) return false;
        continue;
      }
      if (next === undefined || queue.peek()!.record.timestamp < next.peek()!.record.timestamp) next = queue;
    }
    if (!next) return false;
    const item = next.shift()!;
    this.queued--;
    this.current = item.input;
    this.streamTime = Math.max(this.streamTime, item.record.timestamp);
    try {
      item.source.process(item.record);
    } catch (err) {
      const where = `${item.input.topic}-${item.input.partition}@${item.input.offset}`;
      if (this.options.onProcessingError === 'fail' || err instanceof StreamsError) throw wrap(err, `task ${this.id} failed on the record at ${where}`);
      this.recordDropped('processing-error', `${where}: ${(err as Error).message}`);
    } finally {
      this.current = undefined;
    }
    this.consumed.set(item.input.topic, item.input.offset + 1);
    this.streamPunctuation.punctuate(this.streamTime, (run) => this.punctuating(run));
    return true;
  }

  /** Runs the wall-clock punctuators that are due. */
  punctuateWallClock(now: number): boolean {
    return this.wallPunctuation.punctuate(now, (run) => this.punctuating(run));
  }

  private punctuating(run: () => void): void {
    try {
      run();
    } catch (err) {
      throw wrap(err, `task ${this.id} failed in a punctuator`);
    }
  }

  private sink(node: SinkNode, record: StreamRecord<unknown, unknown>): void {
    const topic = typeof node.topic === 'function' ? node.topic(record) : topicName(node.topic, this.applicationId);
    const key = record.key === null || record.key === undefined ? null : node.keySerde.serialize(record.key);
    const value = record.value === null || record.value === undefined ? null : node.valueSerde.serialize(record.value);
    const partition = node.partitioner ? node.partitioner(record.key, record.value, this.options.collector.partitionCount(topic)) : undefined;
    this.options.collector.send({ topic, partition, key, value, timestamp: record.timestamp, headers: record.headers });
  }

  /** Before a commit: stores drop what they no longer keep. */
  flush(): void {
    for (const store of this.stores.values()) store.flush();
  }

  /**
   * After a commit: the stores' changes up to now are in their changelogs, which reach the offsets
   * in `changelogEnds` ("topic\0partition" → next offset) where they were written to since the last.
   */
  commitStores(changelogEnds: ReadonlyMap<string, number>): void {
    for (const [name, store] of this.stores) {
      const changelog = this.changelogs.get(name);
      store.commit(changelog === undefined ? null : (changelogEnds.get(`${changelog}\u0000${this.partition}`) ?? null));
    }
  }

  close(): void {
    for (const p of this.processors) p.close?.();
    for (const store of this.stores.values()) store.close();
  }

  wallClock(): number {
    return this.options.wallClock();
  }

  store(name: string): StateStore | undefined {
    return this.stores.get(name) ?? this.options.globalStores?.get(name);
  }

  currentRecord(): RecordMetadata | undefined {
    return this.current && { topic: this.current.topic, partition: this.current.partition, offset: this.current.offset };
  }

  schedule(intervalMs: number, type: PunctuationType, punctuator: (timestamp: number) => void): Cancellable {
    checkInterval(intervalMs, type);
    return type === 'stream-time'
      ? this.streamPunctuation.schedule(0, intervalMs, punctuator)
      : this.wallPunctuation.schedule(this.wallClock() + intervalMs, intervalMs, punctuator);
  }

  requestCommit(): void {
    this.commitRequested = true;
  }

  recordDropped(reason: DropReason, detail: string): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
    if (reason !== 'late' && reason !== 'null-key' && reason !== 'null-value') this.options.log(`task ${this.id} skipped a record (${reason}): ${detail}`);
  }
}

function wrap(err: unknown, message: string): StreamsError {
  if (err instanceof StreamsError) return err;
  return new StreamsError('PROCESSING', `${message}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
