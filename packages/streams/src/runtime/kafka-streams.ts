import { randomUUID } from 'node:crypto';
import { Admin, Consumer, type ConsumedBatch, KafkaError, partitionForKey, Producer, type TopicPartition, type TopicPartitionOffset } from '@millrace/client';
import { Task } from '../engine/task.ts';
import { StreamsError } from '../errors.ts';
import type { Serde } from '../serdes.ts';
import type { StateStore } from '../stores/state-store.ts';
import { topicName } from '../topology/nodes.ts';
import type { Topology } from '../topology/topology.ts';
import { GlobalTables } from './global-tables.ts';
import { prepareTopics } from './internal-topics.ts';
import { ProducerCollector } from './producer-collector.ts';
import { restoreTasks } from './restore.ts';
import { StateDirectory } from './state-directory.ts';
import { checkConfig, stateDirOf, type StreamsConfig, type StreamsState } from './streams-config.ts';
import { taskCount } from './partition-counts.ts';
import { streamsAssignor, type TaskHosts } from './task-assignor.ts';

const WALL_CLOCK_TICK_MS = 100;
const PURGE_INTERVAL_MS = 30_000;
/**
 * What a commit hears when the group has gone on without this instance (it was paused, or cut off,
 * past its session timeout, or its generation ended while it committed): its tasks may be running
 * elsewhere already (Kafka Streams' TaskMigratedException).
 */
const GROUP_WENT_ON = new Set(['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);

/**
 * Runs a topology against Kafka-compatible brokers as one member of the application's group
 * (group id = applicationId): more instances share the tasks, and take over a failed one's tasks,
 * rebuilding their state from the changelogs.
 */
export class KafkaStreams {
  private readonly topology: Topology;
  private readonly config: StreamsConfig;
  private readonly exactlyOnce: boolean;
  private readonly commitIntervalMs: number;
  private readonly log: (message: string) => void;
  private readonly tasks = new Map<string, Task>();
  private readonly restoring = new Set<Task>();
  private readonly committed = new Map<string, number>();
  private readonly topicSubtopology = new Map<string, number>();
  private consumer: Consumer | null = null;
  private producer: Producer | null = null;
  private admin: Admin | null = null;
  private collector: ProducerCollector | null = null;
  private stateValue: StreamsState = 'CREATED';
  private work: Promise<void> = Promise.resolve();
  private inTransaction = false;
  private lastCommit = Date.now();
  private lastPurge = Date.now();
  private ticker: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;
  private failure: Error | null = null;
  private globals: GlobalTables | null = null;
  private hosts: TaskHosts = {};
  private counts: ReadonlyMap<string, number> = new Map();
  /** Held while running, when the topology has persistent stores. */
  private stateDirectory: StateDirectory | null = null;
  /** Each input partition's position as of its last batch processed: past its records and any transaction markers after them. */
  private readonly delivered = new Map<string, number>();

  constructor(topology: Topology, config: StreamsConfig) {
    checkConfig(config);
    this.topology = topology;
    this.config = config;
    this.exactlyOnce = config.processingGuarantee === 'exactly-once';
    this.commitIntervalMs = config.commitIntervalMs ?? (this.exactlyOnce ? 100 : 30_000);
    this.log = config.log ?? ((message) => process.stderr.write(`[${config.applicationId}] ${message}\n`));
    for (const s of topology.subtopologies) for (const t of s.sourceTopics) this.topicSubtopology.set(topicName(t, config.applicationId), s.id);
  }

  get state(): StreamsState {
    return this.stateValue;
  }

  /** Why the application stopped, when its state is ERROR. */
  get error(): Error | null {
    return this.failure;
  }

  private setState(next: StreamsState): void {
    const previous = this.stateValue;
    if (previous === next) return;
    this.stateValue = next;
    this.config.onStateChange?.(next, previous);
  }

  /** Checks the topics, creates the internal ones, and joins the group; processing goes on in the background until `close`. */
  async start(): Promise<void> {
    if (this.stateValue !== 'CREATED') throw new StreamsError('NOT_RUNNING', `start() can be called once, the application is ${this.stateValue}`);
    const { applicationId, brokers, clientId } = this.config;
    const cluster = { brokers, clientId: clientId ?? applicationId };
    this.setState('REBALANCING');
    try {
      if ([...this.topology.stores.values()].some((s) => s.persistent)) this.stateDirectory = StateDirectory.acquire(stateDirOf(this.config), applicationId);
      this.admin = new Admin(cluster);
      const counts = await prepareTopics(this.admin, this.topology, applicationId, this.config.replicationFactor);
      this.counts = counts;
      this.producer = new Producer({
        ...cluster,
        idempotent: true,
        transactionalId: this.exactlyOnce ? `${applicationId}-${this.config.groupInstanceId ?? randomUUID()}` : undefined,
        // Kafka Streams' 10 s: a crashed instance's open transaction holds read_committed readers back no longer.
        transactionTimeoutMs: 10_000,
      });
      const changelogs = new Set([...this.topology.stores.values()].filter((s) => s.logged).map((s) => `${applicationId}-${s.name}-changelog`));
      this.collector = new ProducerCollector(this.producer, counts, changelogs);
      this.globals = new GlobalTables(this.topology, applicationId, cluster, this.exactlyOnce, this.log);
      await this.globals.start((err) => void this.exclusive(() => { throw err; }));
      this.consumer = new Consumer({
        ...cluster,
        groupId: applicationId,
        groupInstanceId: this.config.groupInstanceId,
        sessionTimeoutMs: this.config.sessionTimeoutMs,
        autoCommit: false,
        autoOffsetReset: 'earliest',
        isolation: this.exactlyOnce ? 'read_committed' : 'read_uncommitted',
        assignors: [streamsAssignor(this.topology, applicationId, this.config.applicationServer ?? null, (hosts) => (this.hosts = hosts))],
        onPartitionsAssigned: (partitions) => this.assigned(partitions),
        onPartitionsRevoked: (partitions) => this.exclusive(() => this.revoked(partitions, true)),
        onPartitionsLost: (partitions) => this.exclusive(() => this.revoked(partitions, false)),
      });
      this.consumer.subscribe([...this.topicSubtopology.keys()]);
    } catch (err) {
      this.fail(err);
      throw err;
    }
    this.ticker = setInterval(() => void this.exclusive(() => this.tick()), WALL_CLOCK_TICK_MS);
    this.loop = this.run();
  }

  /** Runs `step` after every step before it: processing, punctuation, commits and rebalances never interleave. */
  private exclusive(step: () => Promise<void> | void): Promise<void> {
    const next = this.work.then(async () => {
      if (this.failure) return;
      try {
        await step();
      } catch (err) {
        this.fail(err);
      }
    });
    this.work = next;
    return next;
  }

  private async run(): Promise<void> {
    try {
      for await (const batch of this.consumer!.batches({ includeEmpty: true })) {
        await this.exclusive(() => this.processBatch(batch));
        if (this.failure || this.stateValue === 'PENDING_SHUTDOWN') break;
      }
    } catch (err) {
      await this.exclusive(() => { throw err; });
    }
  }

  /** Nothing left to fetch of a partition as of its last fetch (true for one this consumer does not hold: there is nothing to wait for). */
  private caughtUp(topic: string, partition: number): boolean {
    try {
      const end = this.consumer!.endOffset({ topic, partition });
      const position = this.consumer!.position({ topic, partition });
      return end !== null && position !== null && position >= end;
    } catch {
      return true;
    }
  }

  private positionOf(topic: string, partition: number): number | null {
    try {
      return this.consumer!.position({ topic, partition });
    } catch {
      return null;
    }
  }

  private taskFor(topic: string, partition: number): Task | undefined {
    const subtopology = this.topicSubtopology.get(topic);
    return subtopology === undefined ? undefined : this.tasks.get(`${subtopology}_${partition}`);
  }

  private async processBatch(batch: ConsumedBatch): Promise<void> {
    const task = this.taskFor(batch.topic, batch.partition);
    if (!task || this.restoring.has(task)) return;
    // Read now, before the loop asks for the next batch (which may move the position on).
    const position = this.positionOf(batch.topic, batch.partition);
    if (position !== null) this.delivered.set(`${batch.topic}\u0000${batch.partition}`, position);
    await this.beginTransaction();
    task.addRecords(batch.records.map((r) => ({ topic: batch.topic, partition: batch.partition, offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers })));
    while (task.process());
    this.collector!.drain();
    if (task.commitRequested || Date.now() - this.lastCommit >= this.commitIntervalMs) await this.commit();
  }

  /** Wall-clock punctuation, and the commit an idle application owes. */
  private async tick(): Promise<void> {
    if (this.stateValue !== 'RUNNING' && this.stateValue !== 'REBALANCING') return;
    await this.beginTransaction();
    const now = Date.now();
    for (const task of this.tasks.values()) {
      if (this.restoring.has(task)) continue;
      // Records held back until another input was fetched.
      while (task.process());
      task.punctuateWallClock(now);
    }
    this.collector!.drain();
    if (now - this.lastCommit >= this.commitIntervalMs) await this.commit();
    if (now - this.lastPurge >= PURGE_INTERVAL_MS) await this.purgeRepartitionTopics();
  }

  private async beginTransaction(): Promise<void> {
    if (!this.exactlyOnce || this.inTransaction) return;
    await this.producer!.beginTransaction();
    this.inTransaction = true;
  }

  /** The input offsets processed since the last commit (`unchanged`: every task's, committed or not). */
  private progress(tasks: Iterable<Task>, unchanged = false): TopicPartitionOffset[] {
    const offsets: TopicPartitionOffset[] = [];
    for (const task of tasks) {
      for (const [topic, processed] of task.consumed) {
        // With nothing of it held back, the position of its last batch also covers transaction markers after the last record.
        const id = `${topic}\u0000${task.partition}`;
        const offset = task.buffered(topic) === 0 ? Math.max(processed, this.delivered.get(id) ?? processed) : processed;
        // The task's stream time goes with the offset, so that a restart does not reopen windows it closed.
        if (unchanged || this.committed.get(id) !== offset) offsets.push({ topic, partition: task.partition, offset, metadata: streamTimeMetadata(task.streamTime) });
      }
    }
    return offsets;
  }

  /**
   * Makes progress durable: stores drop what they no longer keep, every record written is
   * acknowledged, then the input offsets are committed (exactly once: with the output, in the
   * transaction).
   */
  private async commit(): Promise<void> {
    try {
      await this.commitTasks();
    } catch (err) {
      if (!(err instanceof KafkaError)) throw err;
      // At least once, a commit refused while the group rebalances is made by the next one.
      if (err.code === 'REBALANCE_IN_PROGRESS' && !this.exactlyOnce) return;
      if (!GROUP_WENT_ON.has(err.code)) throw err;
      await this.migrated(err.code);
    }
  }

  /**
   * The group went on without this instance: what was processed since the last commit cannot be
   * committed (exactly once, its transaction is aborted), so every task closes without committing
   * and the consumer gives its partitions up as lost and joins again. The tasks come back, from
   * their committed offsets and changelogs, wherever the group then puts them.
   */
  private async migrated(why: string): Promise<void> {
    this.log(`the group went on without this instance (${why}): closing its tasks uncommitted and joining again`);
    this.collector!.discard();
    if (this.inTransaction) {
      await this.producer!.abortTransaction();
      this.inTransaction = false;
    }
    this.closeTasks([...this.tasks.values()]);
    this.setState('REBALANCING');
    this.consumer!.abandonAssignment();
  }

  private async commitTasks(): Promise<void> {
    this.lastCommit = Date.now();
    for (const task of this.tasks.values()) {
      task.flush();
      task.commitRequested = false;
    }
    const offsets = this.progress(this.tasks.values());
    this.collector!.drain();
    const wrote = this.collector!.sent > 0;
    await this.collector!.flush();
    const changelogEnds = this.collector!.written();
    // At least once, the changelogs now hold every change: persistent stores commit with them.
    if (!this.exactlyOnce) for (const task of this.tasks.values()) task.commitStores(changelogEnds);
    const group = this.consumer!.groupMetadata();
    // A member whose heartbeat found the group gone on has no generation left, and offsets named
    // without one would be taken unchecked: its tasks' progress is not its to commit.
    if (group.generationId < 0 && this.tasks.size > 0) return this.migrated('its membership ended');
    if (this.exactlyOnce) {
      if (!this.inTransaction) return;
      // Offsets go with every transaction that wrote something, unchanged ones too: the group's check
      // of this member's generation is what keeps a zombie's output from being committed.
      const fencing = offsets.length > 0 ? offsets : wrote ? this.progress(this.tasks.values(), true) : [];
      if (fencing.length > 0) await this.producer!.sendOffsets(fencing, group);
      await this.producer!.commitTransaction();
      this.inTransaction = false;
      // Exactly once, the changes are the stores' to keep only now that the transaction holding them committed.
      for (const task of this.tasks.values()) task.commitStores(changelogEnds);
    } else if (offsets.length > 0) {
      await this.consumer!.commit(offsets);
    }
    for (const o of offsets) this.committed.set(`${o.topic}\u0000${o.partition}`, o.offset);
  }

  /** New partitions: their tasks are made, paused while their stores are restored, then resumed. */
  private async assigned(partitions: TopicPartition[]): Promise<void> {
    const fresh: Task[] = [];
    const newPartitions = partitions.filter((p) => {
      const subtopology = this.topicSubtopology.get(p.topic);
      return subtopology !== undefined && !this.tasks.has(`${subtopology}_${p.partition}`);
    });
    // Nothing of them is fetched until their tasks exist and are restored.
    this.consumer!.pause(newPartitions);
    const streamTimes = new Map<string, number>();
    if (newPartitions.length > 0) {
      for (const c of await this.consumer!.committed(newPartitions)) {
        const id = `${this.topicSubtopology.get(c.topic)}_${c.partition}`;
        streamTimes.set(id, Math.max(streamTimes.get(id) ?? -1, streamTimeOf(c.metadata)));
      }
    }
    for (const p of newPartitions) {
      const subtopology = this.topicSubtopology.get(p.topic)!;
      if (this.tasks.has(`${subtopology}_${p.partition}`)) continue;
      const task = new Task(this.topology, this.topology.subtopologies[subtopology], p.partition, {
        applicationId: this.config.applicationId,
        collector: this.collector!,
        wallClock: () => Date.now(),
        onDeserializationError: this.config.onDeserializationError ?? 'fail',
        onProcessingError: this.config.onProcessingError ?? 'fail',
        log: this.log,
        caughtUp: (topic, partition) => this.caughtUp(topic, partition),
        globalStores: this.globals!.stores,
        streamTime: streamTimes.get(`${subtopology}_${p.partition}`) ?? -1,
        stateDirectory: this.stateDirectory?.path,
      });
      this.tasks.set(task.id, task);
      fresh.push(task);
    }
    if (fresh.length === 0) {
      this.consumer!.resume(newPartitions.filter((p) => this.taskFor(p.topic, p.partition)));
      if (this.restoring.size === 0) this.setState('RUNNING');
      return;
    }
    const inputs = fresh.flatMap((t) => t.inputTopics().map((topic) => ({ topic, partition: t.partition })));
    for (const t of fresh) this.restoring.add(t);
    this.setState('REBALANCING');
    void this.exclusive(async () => {
      const live = fresh.filter((t) => this.tasks.get(t.id) === t);
      await restoreTasks(live, { brokers: this.config.brokers }, this.exactlyOnce, this.log);
      for (const t of fresh) this.restoring.delete(t);
      this.consumer!.resume(inputs.filter((p) => this.taskFor(p.topic, p.partition)));
      if (this.restoring.size === 0) this.setState('RUNNING');
    });
  }

  /** Partitions taken away: their tasks commit first when the rebalance allows it (not when lost), then close. */
  private async revoked(partitions: TopicPartition[], canCommit: boolean): Promise<void> {
    const gone = new Map<string, Task>();
    for (const p of partitions) {
      const task = this.taskFor(p.topic, p.partition);
      if (task) gone.set(task.id, task);
    }
    if (gone.size === 0) return;
    if (canCommit) {
      await this.commit();
    } else if (this.inTransaction) {
      // Lost: what the transaction holds cannot be committed; every task's state is behind it.
      this.collector!.discard();
      await this.producer!.abortTransaction().catch(() => undefined);
      this.inTransaction = false;
      for (const task of this.tasks.values()) gone.set(task.id, task);
    }
    this.closeTasks(gone.values());
  }

  /** Closes tasks and forgets their offsets; one already closed (a commit found the group gone on) is skipped. */
  private closeTasks(tasks: Iterable<Task>): void {
    for (const task of tasks) {
      if (this.tasks.get(task.id) !== task) continue;
      task.close();
      this.tasks.delete(task.id);
      this.restoring.delete(task);
      for (const topic of task.inputTopics()) {
        this.committed.delete(`${topic}\u0000${task.partition}`);
        this.delivered.delete(`${topic}\u0000${task.partition}`);
      }
    }
  }

  /** Deletes repartition records every task has committed past (Kafka Streams' purge). */
  private async purgeRepartitionTopics(): Promise<void> {
    this.lastPurge = Date.now();
    const repartition = new Set(this.topology.internalTopics.filter((t) => t.kind === 'repartition').map((t) => `${this.config.applicationId}-${t.name}`));
    const byTopic = new Map<string, Record<number, number>>();
    for (const [id, offset] of this.committed) {
      const [topic, partition] = id.split('\u0000');
      if (!repartition.has(topic)) continue;
      const partitions = byTopic.get(topic) ?? {};
      partitions[Number(partition)] = offset;
      byTopic.set(topic, partitions);
    }
    for (const [topic, partitions] of byTopic) await this.admin!.deleteRecords({ topic, partitions }).catch(() => undefined);
  }

  /** A read-only view of a store across this instance's tasks (interactive queries). */
  store<S extends StateStore>(name: string): S[] {
    if (!this.topology.stores.has(name)) throw new StreamsError('INVALID_TOPOLOGY', `the topology has no store "${name}"`);
    const global = this.globals?.stores.get(name);
    if (global) return [global as S];
    return [...this.tasks.values()].filter((t) => !this.restoring.has(t)).map((t) => t.stores.get(name)).filter((s) => s !== undefined) as S[];
  }

  /**
   * Where a key of a store lives: its partition, its task, and the `applicationServer` of the
   * instance running that task (as of the last rebalance; null if that instance named none).
   * The key's partition is murmur2 of its bytes, as the producer placed it.
   */
  metadataForKey<K>(storeName: string, key: K, keySerde: Serde<K>): { partition: number; taskId: string; host: string | null } {
    const subtopology = this.topology.subtopologies.find((s) => s.stores.includes(storeName));
    if (!subtopology) throw new StreamsError('INVALID_TOPOLOGY', `the topology has no store "${storeName}" in its tasks`);
    const partitions = taskCount(this.topology, subtopology.id, this.counts, this.config.applicationId);
    if (partitions === 0) throw new StreamsError('NOT_RUNNING', 'metadataForKey needs the application started');
    const partition = partitionForKey(keySerde.serialize(key), partitions);
    const taskId = `${subtopology.id}_${partition}`;
    return { partition, taskId, host: this.hosts[taskId] ?? null };
  }

  /** The ids of the tasks this instance runs (`<subtopology>_<partition>`). */
  taskIds(): string[] {
    return [...this.tasks.keys()].sort();
  }

  private fail(err: unknown): void {
    if (this.failure) return;
    this.failure = err instanceof Error ? err : new Error(String(err));
    this.log(`stopping: ${this.failure.message}`);
    this.setState('ERROR');
    // Not awaited: closing the consumer runs its revocation through `exclusive`, behind this step.
    void this.shutdown(false);
  }

  /** Commits what was processed, leaves the group (its tasks go to the other instances) and closes. */
  async close(): Promise<void> {
    if (this.stateValue === 'NOT_RUNNING' || this.stateValue === 'PENDING_SHUTDOWN') return;
    if (this.stateValue === 'ERROR') return;
    this.setState('PENDING_SHUTDOWN');
    await this.exclusive(() => this.commit());
    await this.shutdown(true);
    if (!this.failure) this.setState('NOT_RUNNING');
  }

  private async shutdown(clean: boolean): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    // Revocations during the consumer's close commit their tasks first (unless failing).
    if (this.consumer) await (clean ? this.consumer.close() : this.consumer.close().catch(() => undefined));
    await this.loop?.catch(() => undefined);
    if (this.inTransaction) await this.producer?.abortTransaction().catch(() => undefined);
    await this.producer?.close().catch(() => undefined);
    await this.globals?.close().catch(() => undefined);
    await this.admin?.close().catch(() => undefined);
    for (const task of this.tasks.values()) task.close();
    this.tasks.clear();
    this.stateDirectory?.release();
  }

  /**
   * Deletes this application's persistent stores' files from the state directory (every task's):
   * the next start restores them from their changelogs. Only while not running.
   */
  cleanUp(): void {
    if (this.stateValue !== 'CREATED' && this.stateValue !== 'NOT_RUNNING' && this.stateValue !== 'ERROR') throw new StreamsError('NOT_RUNNING', `cleanUp() needs the application stopped, it is ${this.stateValue}`);
    const directory = StateDirectory.acquire(stateDirOf(this.config), this.config.applicationId);
    try {
      directory.wipe();
    } finally {
      directory.release();
    }
  }
}

/** Offset metadata carrying a task's stream time. */
function streamTimeMetadata(streamTime: number): string {
  return JSON.stringify({ streamTime });
}

function streamTimeOf(metadata: string | undefined): number {
  try {
    const parsed = JSON.parse(metadata ?? '') as { streamTime?: unknown };
    return typeof parsed.streamTime === 'number' ? parsed.streamTime : -1;
  } catch {
    return -1;
  }
}
