import { Reader, Writer } from '@millrace/protocol';

/**
 * Group metadata records of `__consumer_offsets`, in Kafka's layout: key version 2 (the group id)
 * and value version 3 (protocol type, generation, protocol, leader, state timestamp, and each
 * member with its subscription and assignment). A null value means the group is gone.
 */
const GROUP_KEY_VERSION = 2;
const GROUP_VALUE_VERSION = 3;

export interface GroupSnapshot {
  protocolType: string;
  generationId: number;
  protocolName: string | null;
  leaderId: string | null;
  stateTimestamp: number;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    rebalanceTimeoutMs: number;
    sessionTimeoutMs: number;
    subscription: Buffer;
    assignment: Buffer;
  }[];
}

export function encodeGroupKey(group: string): Buffer {
  const w = new Writer(32);
  w.int16(GROUP_KEY_VERSION);
  w.string(group);
  return Buffer.from(w.finish());
}

/** The group id of a group metadata key, or null for other record kinds. */
export function decodeGroupKey(bytes: Buffer): string | null {
  const r = new Reader(bytes);
  if (r.int16() !== GROUP_KEY_VERSION) return null;
  const group = r.string();
  r.complete('group metadata key');
  return group;
}

export function encodeGroupValue(g: GroupSnapshot): Buffer {
  const w = new Writer(256);
  w.int16(GROUP_VALUE_VERSION);
  w.string(g.protocolType);
  w.int32(g.generationId);
  w.nullableString(g.protocolName);
  w.nullableString(g.leaderId);
  w.int64(BigInt(g.stateTimestamp));
  w.arrayLength(g.members.length);
  for (const m of g.members) {
    w.string(m.memberId);
    w.nullableString(m.groupInstanceId);
    w.string(m.clientId);
    w.string(m.clientHost);
    w.int32(m.rebalanceTimeoutMs);
    w.int32(m.sessionTimeoutMs);
    w.bytes(m.subscription);
    w.bytes(m.assignment);
  }
  return Buffer.from(w.finish());
}

/** Reads group metadata values of versions 0 to 3. */
export function decodeGroupValue(bytes: Buffer): GroupSnapshot {
  const r = new Reader(bytes);
  const version = r.int16();
  if (version < 0 || version > GROUP_VALUE_VERSION) throw new Error(`group metadata value version ${version} is unknown`);
  const protocolType = r.string();
  const generationId = r.int32();
  const protocolName = r.nullableString();
  const leaderId = r.nullableString();
  const stateTimestamp = version >= 2 ? Number(r.int64()) : -1;
  const count = r.arrayLength();
  const members: GroupSnapshot['members'] = [];
  for (let i = 0; i < count && !r.failed; i++) {
    const memberId = r.string();
    const groupInstanceId = version >= 3 ? r.nullableString() : null;
    const clientId = r.string();
    const clientHost = r.string();
    const rebalanceTimeoutMs = version >= 1 ? r.int32() : -1;
    const sessionTimeoutMs = r.int32();
    members.push({ memberId, groupInstanceId, clientId, clientHost, rebalanceTimeoutMs: rebalanceTimeoutMs < 0 ? sessionTimeoutMs : rebalanceTimeoutMs, sessionTimeoutMs, subscription: r.bytes(), assignment: r.bytes() });
  }
  r.complete('group metadata value');
  return { protocolType, generationId, protocolName, leaderId, stateTimestamp, members };
}
