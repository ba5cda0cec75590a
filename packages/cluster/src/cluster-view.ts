import type { ClusterKeys } from './keys.ts';
import type { StoredValue, WatchEvent } from './meta-store.ts';
import {
  type BrokerRegistration, decodeBrokerRegistration, decodePartitionState, decodeTopicAssignment, type PartitionState, type TopicAssignment,
} from './records.ts';

export interface LiveBroker extends BrokerRegistration {
  /** The create revision of its registration: a new value means a new incarnation. */
  epoch: bigint;
  /** The lease its registration lives under. */
  lease: string;
}

export interface TopicView {
  name: string;
  assignment: TopicAssignment;
  modRevision: bigint;
}

export interface PartitionView {
  topicId: string;
  index: number;
  state: PartitionState;
  /** The compare of the next change to this partition's state. */
  modRevision: bigint;
}

/** What one batch of watch events changed, for the listeners that act on it. */
export interface ViewChanges {
  brokersUp: LiveBroker[];
  brokersDown: LiveBroker[];
  topicsChanged: TopicView[];
  topicsDeleted: TopicView[];
  partitionsChanged: PartitionView[];
  controllerChanged: boolean;
  /** The names of the shared documents changed or deleted. */
  documentsChanged: string[];
}

function emptyChanges(): ViewChanges {
  return { brokersUp: [], brokersDown: [], topicsChanged: [], topicsDeleted: [], partitionsChanged: [], controllerChanged: false, documentsChanged: [] };
}

export function partitionKey(topicId: string, index: number): string {
  return `${topicId}/${index}`;
}

/**
 * The cluster as of one etcd revision: every broker applies the same ordered stream of changes
 * (list at revision R, watch from R+1), so brokers differ only in how far they have read.
 */
export class ClusterView {
  readonly brokers = new Map<number, LiveBroker>();
  readonly topics = new Map<string, TopicView>();
  readonly topicsById = new Map<string, TopicView>();
  readonly partitions = new Map<string, PartitionView>();
  /** The shared documents by name: their bytes as of this view's revision. */
  readonly documents = new Map<string, Buffer>();
  controllerId = -1;
  controllerEpoch = 0;
  /** The mod revision of the controller-epoch key: the fencing token of the controller that last won. */
  controllerEpochRevision = 0n;
  revision = 0n;
  private readonly keys: ClusterKeys;
  private readonly onBadValue: (key: string, err: Error) => void;

  constructor(keys: ClusterKeys, onBadValue: (key: string, err: Error) => void) {
    this.keys = keys;
    this.onBadValue = onBadValue;
  }

  /** Replaces everything with a full listing taken at `revision`. */
  load(values: StoredValue[], revision: bigint): ViewChanges {
    const before = [...this.brokers.values()];
    this.brokers.clear();
    this.topics.clear();
    this.topicsById.clear();
    this.partitions.clear();
    const documentsBefore = [...this.documents.keys()];
    this.documents.clear();
    this.controllerId = -1;
    const changes = this.apply(values.map((v) => ({ type: 'put' as const, ...v })), revision);
    changes.brokersDown = before.filter((b) => this.brokers.get(b.nodeId)?.epoch !== b.epoch);
    changes.controllerChanged = true;
    changes.documentsChanged = [...new Set([...documentsBefore, ...this.documents.keys()])];
    return changes;
  }

  apply(events: WatchEvent[], revision: bigint): ViewChanges {
    const changes = emptyChanges();
    for (const event of events) {
      try {
        this.applyOne(event, changes);
      } catch (err) {
        this.onBadValue(event.key, err as Error);
      }
    }
    this.revision = revision;
    return changes;
  }

  partition(topicId: string, index: number): PartitionView | undefined {
    return this.partitions.get(partitionKey(topicId, index));
  }

  private applyOne(event: WatchEvent, changes: ViewChanges): void {
    const { key } = event;
    const put = event.type === 'put';
    if (key === this.keys.controller) {
      this.controllerId = put ? (JSON.parse(event.value.toString('utf8')) as { nodeId: number }).nodeId : -1;
      changes.controllerChanged = true;
    } else if (key === this.keys.controllerEpoch) {
      this.controllerEpoch = Number(event.value.toString('utf8'));
      this.controllerEpochRevision = event.modRevision;
      changes.controllerChanged = true;
    } else if (key.startsWith(this.keys.documents)) {
      const name = key.slice(this.keys.documents.length);
      if (put) this.documents.set(name, event.value);
      else this.documents.delete(name);
      changes.documentsChanged.push(name);
    } else if (key.startsWith(this.keys.brokers)) {
      const id = Number(key.slice(this.keys.brokers.length));
      const old = this.brokers.get(id);
      if (old) {
        this.brokers.delete(id);
        changes.brokersDown.push(old);
      }
      if (put) {
        const broker = { ...decodeBrokerRegistration(event.value), epoch: event.createRevision, lease: event.lease };
        this.brokers.set(id, broker);
        changes.brokersUp.push(broker);
      }
    } else if (key.startsWith(this.keys.topics)) {
      const name = key.slice(this.keys.topics.length);
      const old = this.topics.get(name);
      if (old) this.topicsById.delete(old.assignment.id);
      if (put) {
        const topic = { name, assignment: decodeTopicAssignment(event.value), modRevision: event.modRevision };
        this.topics.set(name, topic);
        this.topicsById.set(topic.assignment.id, topic);
        changes.topicsChanged.push(topic);
      } else if (old) {
        this.topics.delete(name);
        changes.topicsDeleted.push(old);
      }
    } else if (key.startsWith(this.keys.partitions)) {
      const [topicId, index] = key.slice(this.keys.partitions.length).split('/');
      const id = partitionKey(topicId, Number(index));
      if (!put) {
        this.partitions.delete(id);
        return;
      }
      const partition = { topicId, index: Number(index), state: decodePartitionState(event.value), modRevision: event.modRevision };
      this.partitions.set(id, partition);
      changes.partitionsChanged.push(partition);
    }
  }
}
