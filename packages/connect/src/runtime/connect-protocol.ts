import { Reader, Writer } from '@millrace/protocol';

/**
 * Kafka Connect's group protocol, version 0 ("default", eager): the bytes a distributed worker puts
 * in JoinGroup and SyncGroup, laid out as Kafka's ConnectProtocol lays them out.
 */
export const CONNECT_PROTOCOL_NAME = 'default';
const VERSION = 0;
/** In an assignment's task list: the connector instance itself, not one of its tasks. */
export const CONNECTOR_TASK = -1;

/** JoinGroup metadata: where the worker's REST API is, and how far it has read the config topic. */
export interface WorkerState {
  url: string;
  configOffset: bigint;
}

export interface WorkerAssignment {
  /** 0: none; 1: CONFIG_MISMATCH (the leader had not read the config topic as far as a member). */
  error: number;
  leader: string;
  leaderUrl: string;
  /** The config topic offset the assignment was made at: a member reads at least that far before starting anything. */
  configOffset: bigint;
  connectors: string[];
  tasks: { connector: string; task: number }[];
}

export function encodeWorkerState(state: WorkerState): Buffer {
  const w = new Writer();
  w.int16(VERSION);
  w.string(state.url);
  w.int64(state.configOffset);
  return w.finish();
}

export function decodeWorkerState(bytes: Buffer): WorkerState {
  const r = new Reader(bytes);
  r.int16();
  return { url: r.string(), configOffset: r.int64() };
}

export function encodeAssignment(a: WorkerAssignment): Buffer {
  const byConnector = new Map<string, number[]>();
  for (const name of a.connectors) byConnector.set(name, [CONNECTOR_TASK]);
  for (const t of a.tasks) byConnector.set(t.connector, [...(byConnector.get(t.connector) ?? []), t.task]);
  const w = new Writer();
  w.int16(VERSION);
  w.int16(a.error);
  w.string(a.leader);
  w.string(a.leaderUrl);
  w.int64(a.configOffset);
  w.arrayLength(byConnector.size);
  for (const [connector, ids] of byConnector) {
    w.string(connector);
    w.arrayLength(ids.length);
    for (const id of ids) w.int32(id);
  }
  return w.finish();
}

export function decodeAssignment(bytes: Buffer): WorkerAssignment {
  const r = new Reader(bytes);
  r.int16();
  const a: WorkerAssignment = { error: r.int16(), leader: r.string(), leaderUrl: r.string(), configOffset: r.int64(), connectors: [], tasks: [] };
  const count = r.int32();
  for (let i = 0; i < count; i++) {
    const connector = r.string();
    const ids = r.int32();
    for (let j = 0; j < ids; j++) {
      const id = r.int32();
      if (id === CONNECTOR_TASK) a.connectors.push(connector);
      else a.tasks.push({ connector, task: id });
    }
  }
  return a;
}

/**
 * The leader's eager assignment: connectors, then tasks, dealt round-robin over the workers in
 * member id order, so each holds as many as any other give or take one.
 */
export function assignRoundRobin(members: string[], connectors: string[], tasks: { connector: string; task: number }[]): Map<string, { connectors: string[]; tasks: { connector: string; task: number }[] }> {
  const sorted = [...members].sort();
  const result = new Map(sorted.map((m) => [m, { connectors: [] as string[], tasks: [] as { connector: string; task: number }[] }]));
  let next = 0;
  for (const name of [...connectors].sort()) result.get(sorted[next++ % sorted.length])!.connectors.push(name);
  const ordered = [...tasks].sort((a, b) => (a.connector === b.connector ? a.task - b.task : a.connector < b.connector ? -1 : 1));
  for (const task of ordered) result.get(sorted[next++ % sorted.length])!.tasks.push(task);
  return result;
}
