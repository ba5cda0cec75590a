import { Reader } from '@millrace/protocol';

/** A group member's assignment in the consumer protocol (ConsumerProtocolAssignment), as any client wrote it. */
export interface MemberAssignment {
  version: number;
  partitions: { topic: string; partitions: number[] }[];
  userData: Buffer | null;
}

/**
 * Reads a consumer-protocol assignment: version int16, then an array of (topic string, int32
 * partitions), then user data bytes. Every version so far (0-3) has these fields; later versions
 * may only append, so bytes after them are ignored. Null for an empty buffer (a member of a group
 * that is not Stable has none yet) or bytes not in this format (another protocol type's).
 */
export function decodeMemberAssignment(bytes: Buffer): MemberAssignment | null {
  if (bytes.length === 0) return null;
  const r = new Reader(bytes);
  const version = r.int16();
  const partitions: MemberAssignment['partitions'] = [];
  const topics = r.arrayLength();
  for (let i = 0; i < topics && !r.failed; i++) {
    const topic = r.string();
    const count = r.arrayLength();
    const ps: number[] = [];
    for (let j = 0; j < count && !r.failed; j++) ps.push(r.int32());
    partitions.push({ topic, partitions: ps });
  }
  // Some writers stop after the partitions; a missing user data field reads as none.
  const userData = r.remaining() >= 4 ? r.nullableBytes() : null;
  if (r.failed || version < 0 || topics < 0) return null;
  return { version, partitions, userData };
}
