import { StreamsError } from '../errors.ts';
import type { Cancellable, ProcessorContext, PunctuationType, RecordMetadata } from '../processor.ts';
import type { StreamRecord } from '../record.ts';
import type { StateStore } from '../stores/state-store.ts';
import type { DropReason } from './records.ts';

/** One node of a task's running graph. */
export interface NodeInstance {
  readonly name: string;
  process(record: StreamRecord<unknown, unknown>): void;
}

/** What a node's context needs from its task. */
export interface TaskServices {
  readonly id: string;
  readonly partition: number;
  readonly applicationId: string;
  readonly streamTime: number;
  wallClock(): number;
  store(name: string): StateStore | undefined;
  currentRecord(): RecordMetadata | undefined;
  schedule(intervalMs: number, type: PunctuationType, punctuator: (timestamp: number) => void): Cancellable;
  requestCommit(): void;
  recordDropped(reason: DropReason, detail: string): void;
}

/** The context of the built-in operators: the public one, plus counting what they drop. */
export interface InternalProcessorContext<K, V> extends ProcessorContext<K, V> {
  recordDropped(reason: DropReason, detail: string): void;
}

export function internalContext<K, V>(context: ProcessorContext<K, V>): InternalProcessorContext<K, V> {
  return context as InternalProcessorContext<K, V>;
}

/** A processor's view of its task: forwarding goes to its own children. */
export class NodeContext implements InternalProcessorContext<unknown, unknown> {
  private readonly task: TaskServices;
  private readonly nodeName: string;
  private readonly allowedStores: ReadonlySet<string>;
  children: NodeInstance[] = [];

  constructor(task: TaskServices, nodeName: string, stores: string[]) {
    this.task = task;
    this.nodeName = nodeName;
    this.allowedStores = new Set(stores);
  }

  forward(record: StreamRecord<unknown, unknown>, childName?: string): void {
    if (childName === undefined) {
      for (const child of this.children) child.process(record);
      return;
    }
    const child = this.children.find((c) => c.name === childName);
    if (!child) throw new StreamsError('INVALID_TOPOLOGY', `${this.nodeName} forwarded to "${childName}", which is not one of its children (${this.children.map((c) => c.name).join(', ')})`);
    child.process(record);
  }

  schedule(intervalMs: number, type: PunctuationType, punctuator: (timestamp: number) => void): Cancellable {
    return this.task.schedule(intervalMs, type, punctuator);
  }

  getStateStore<S extends StateStore>(name: string): S {
    const store = this.allowedStores.has(name) ? this.task.store(name) : undefined;
    if (!store) throw new StreamsError('INVALID_TOPOLOGY', `processor ${this.nodeName} has no store "${name}": name it in the stores the processor is added with`);
    return store as S;
  }

  get taskId(): string {
    return this.task.id;
  }

  get partition(): number {
    return this.task.partition;
  }

  get applicationId(): string {
    return this.task.applicationId;
  }

  get streamTime(): number {
    return this.task.streamTime;
  }

  get wallClockTime(): number {
    return this.task.wallClock();
  }

  recordMetadata(): RecordMetadata | undefined {
    return this.task.currentRecord();
  }

  requestCommit(): void {
    this.task.requestCommit();
  }

  recordDropped(reason: DropReason, detail: string): void {
    this.task.recordDropped(reason, detail);
  }
}
