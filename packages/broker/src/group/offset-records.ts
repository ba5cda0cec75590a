import { Reader, Writer } from '@millrace/protocol';

/**
 * Records of the internal `__consumer_offsets` topic in Kafka's own layout, so the topic reads the
 * same as Kafka's: an offset commit has key version 1 (group, topic, partition) and value version 3
 * (offset, leader epoch, metadata, commit timestamp); a null value deletes the offset.
 */
const OFFSET_KEY_VERSION = 1;
const OFFSET_VALUE_VERSION = 3;

export interface OffsetKey {
  group: string;
  topic: string;
  partition: number;
}

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
}

export function encodeOffsetKey(key: OffsetKey): Buffer {
  const w = new Writer(64);
  w.int16(OFFSET_KEY_VERSION);
  w.string(key.group);
  w.string(key.topic);
  w.int32(key.partition);
  return Buffer.from(w.finish());
}

export function encodeOffsetValue(value: CommittedOffset): Buffer {
  const w = new Writer(64);
  w.int16(OFFSET_VALUE_VERSION);
  w.int64(BigInt(value.offset));
  w.int32(value.leaderEpoch);
  w.string(value.metadata);
  w.int64(BigInt(value.commitTimestamp));
  return Buffer.from(w.finish());
}

/** The offset key in `bytes`, or null for keys of other record kinds (group metadata, version 2). */
export function decodeOffsetKey(bytes: Buffer): OffsetKey | null {
  const r = new Reader(bytes);
  const version = r.int16();
  if (version !== 0 && version !== 1) return null;
  const key = { group: r.string(), topic: r.string(), partition: r.int32() };
  r.complete('offset commit key');
  return key;
}

/** Reads offset values of versions 0 to 3 (Kafka's, older ones included). */
export function decodeOffsetValue(bytes: Buffer): CommittedOffset {
  const r = new Reader(bytes);
  const version = r.int16();
  if (version < 0 || version > 3) throw new Error(`offset commit value version ${version} is unknown`);
  const offset = Number(r.int64());
  const leaderEpoch = version >= 3 ? r.int32() : -1;
  const metadata = r.string();
  const commitTimestamp = Number(r.int64());
  if (version === 1) r.int64(); // the expire timestamp of version 1, unused since Kafka 2.1
  r.complete('offset commit value');
  return { offset, leaderEpoch, metadata, commitTimestamp };
}
