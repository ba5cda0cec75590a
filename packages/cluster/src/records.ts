/** The JSON values stored under the cluster's keys (see keys.ts), with checks for what is read back. */

export interface BrokerRegistration {
  nodeId: number;
  /** The address other brokers replicate from (its first listener's). */
  host: string;
  port: number;
  rack: string | null;
  /** Every listener's advertised address by name: a client is told of brokers on the listener it came in on. */
  listeners?: Record<string, { host: string; port: number }>;
}

/** A partition moving to new replicas: it keeps the old ones (`original`) until every one of `target` is in sync. */
export interface Reassignment {
  target: number[];
  original: number[];
}

export interface TopicAssignment {
  id: string;
  /** Replica broker ids per partition, the preferred leader first (during a reassignment: target, then the rest of the original). */
  replicas: number[][];
  configs: Record<string, string>;
  /** Reassignments under way, by partition index. */
  reassigning?: Record<string, Reassignment>;
}

/** Leader -1 means no leader: the partition is offline until a replica in the ISR comes back. */
export const NO_LEADER = -1;

export interface PartitionState {
  leader: number;
  leaderEpoch: number;
  isr: number[];
  /** The controller epoch of the write that made this state (Kafka's controller_epoch field). */
  controllerEpoch: number;
}

export function encodeRecord(value: BrokerRegistration | TopicAssignment | PartitionState): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function parse(bytes: Buffer, what: string): Record<string, unknown> {
  const value: unknown = JSON.parse(bytes.toString('utf8'));
  if (typeof value !== 'object' || value === null) throw new Error(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

const isInt = (v: unknown): v is number => Number.isInteger(v);
const isIntList = (v: unknown): v is number[] => Array.isArray(v) && v.every(isInt);

export function decodeBrokerRegistration(bytes: Buffer): BrokerRegistration {
  const v = parse(bytes, 'broker registration');
  if (!isInt(v.nodeId) || typeof v.host !== 'string' || !isInt(v.port) || (v.rack !== null && typeof v.rack !== 'string')) {
    throw new Error(`broker registration ${bytes.toString('utf8')} lacks nodeId, host, port or rack`);
  }
  const listeners = isListenerMap(v.listeners) ? v.listeners : undefined;
  return { nodeId: v.nodeId, host: v.host, port: v.port, rack: v.rack, ...(listeners ? { listeners } : {}) };
}

function isListenerMap(v: unknown): v is Record<string, { host: string; port: number }> {
  return typeof v === 'object' && v !== null && Object.values(v).every((a) => typeof a === 'object' && a !== null && typeof a.host === 'string' && isInt(a.port));
}

export function decodeTopicAssignment(bytes: Buffer): TopicAssignment {
  const v = parse(bytes, 'topic assignment');
  if (typeof v.id !== 'string' || !Array.isArray(v.replicas) || !v.replicas.every(isIntList) || typeof v.configs !== 'object' || v.configs === null) {
    throw new Error(`topic assignment ${bytes.toString('utf8')} lacks id, replicas or configs`);
  }
  const reassigning = v.reassigning as Record<string, Reassignment> | undefined;
  if (reassigning !== undefined && (typeof reassigning !== 'object' || !Object.values(reassigning).every((r) => isIntList(r?.target) && isIntList(r?.original)))) {
    throw new Error(`topic assignment ${bytes.toString('utf8')} has an unreadable reassignment`);
  }
  return { id: v.id, replicas: v.replicas as number[][], configs: v.configs as Record<string, string>, ...(reassigning ? { reassigning } : {}) };
}

export function decodePartitionState(bytes: Buffer): PartitionState {
  const v = parse(bytes, 'partition state');
  if (!isInt(v.leader) || !isInt(v.leaderEpoch) || !isIntList(v.isr) || !isInt(v.controllerEpoch)) {
    throw new Error(`partition state ${bytes.toString('utf8')} lacks leader, leaderEpoch, isr or controllerEpoch`);
  }
  return { leader: v.leader, leaderEpoch: v.leaderEpoch, isr: v.isr, controllerEpoch: v.controllerEpoch };
}
