import {
  createConsumerProtocolAssignment, createConsumerProtocolAssignmentTopicPartition, createConsumerProtocolSubscription, createConsumerProtocolSubscriptionTopicPartition,
  decodeConsumerProtocolAssignment, decodeConsumerProtocolSubscription, encodeConsumerProtocolAssignment, encodeConsumerProtocolSubscription, Reader, Writer,
} from '@millrace/protocol';

/** Partitions by topic: the shape assignments and owned partitions take on the wire. */
export type TopicPartitions = Map<string, number[]>;

/** What a member tells the group leader in JoinGroup's metadata (the "consumer" protocol type). */
export interface Subscription {
  topics: string[];
  /** Partitions the member holds now, for sticky assignors (subscription v1+). */
  owned: TopicPartitions;
  /** The generation those partitions were held in, to settle two members claiming one (v2+). */
  generationId: number;
  userData: Buffer | null;
}

/** Version written: v2 carries owned partitions and their generation; v3 only adds a rack. */
const SUBSCRIPTION_VERSION = 2;
const ASSIGNMENT_VERSION = 1;
/** Highest versions read; later ones only append fields, which are ignored. */
const KNOWN_SUBSCRIPTION_VERSION = 3;
const KNOWN_ASSIGNMENT_VERSION = 3;

function toList(partitions: TopicPartitions): { topic: string; partitions: number[] }[] {
  return [...partitions].filter(([, ps]) => ps.length > 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([topic, ps]) => ({ topic, partitions: [...ps].sort((a, b) => a - b) }));
}

function toMap(list: readonly { topic: string; partitions: number[] }[]): TopicPartitions {
  const map: TopicPartitions = new Map();
  for (const t of list) map.set(t.topic, [...(map.get(t.topic) ?? []), ...t.partitions]);
  return map;
}

export function encodeSubscription(s: Subscription): Buffer {
  const w = new Writer();
  w.int16(SUBSCRIPTION_VERSION);
  encodeConsumerProtocolSubscription(w, createConsumerProtocolSubscription({
    topics: [...s.topics].sort(),
    userData: s.userData,
    ownedPartitions: toList(s.owned).map((t) => createConsumerProtocolSubscriptionTopicPartition(t)),
    generationId: s.generationId,
  }), SUBSCRIPTION_VERSION);
  return w.finish();
}

/**
 * Reads a member's subscription, from any client. Some clients (KafkaJS) announce version 1 but
 * write only the version 0 fields, so a version that does not fit is read again as the one before.
 */
export function decodeSubscription(metadata: Buffer): Subscription {
  const announced = metadata.length >= 2 ? metadata.readInt16BE(0) : 0;
  for (let version = Math.min(Math.max(announced, 0), KNOWN_SUBSCRIPTION_VERSION); version >= 0; version--) {
    const r = new Reader(metadata, 2);
    const s = decodeConsumerProtocolSubscription(r, version);
    if (!r.failed) return { topics: s.topics, owned: toMap(s.ownedPartitions), generationId: version >= 2 ? s.generationId : -1, userData: s.userData };
  }
  return { topics: [], owned: new Map(), generationId: -1, userData: null };
}

export function encodeAssignment(assigned: TopicPartitions, userData: Buffer | null = null): Buffer {
  const w = new Writer();
  w.int16(ASSIGNMENT_VERSION);
  encodeConsumerProtocolAssignment(w, createConsumerProtocolAssignment({
    assignedPartitions: toList(assigned).map((t) => createConsumerProtocolAssignmentTopicPartition(t)),
    userData,
  }), ASSIGNMENT_VERSION);
  return w.finish();
}

/** The partitions a SyncGroup answer gives this member, and the leader's user data; an empty buffer means none. */
export function decodeAssignment(bytes: Buffer): { partitions: TopicPartitions; userData: Buffer | null } {
  if (bytes.length < 2) return { partitions: new Map(), userData: null };
  const r = new Reader(bytes, 2);
  const a = decodeConsumerProtocolAssignment(r, Math.min(Math.max(bytes.readInt16BE(0), 0), KNOWN_ASSIGNMENT_VERSION));
  if (r.failed) throw new Error('the group leader sent an assignment this client cannot read');
  return { partitions: toMap(a.assignedPartitions), userData: a.userData };
}
