import { Attribute, BatchField, type CompressionCode, decodeRecordBatchWithHeader, encodeRecordBatch } from '@millrace/protocol';
import { scanBatches } from './batch-scan.ts';
import type { Fs } from './fs.ts';
import type { Segment } from './segment.ts';
import { StorageError } from './storage-error.ts';

/** A compacted topic's settings, as Kafka names them. */
export interface CompactionConfig {
  /** min.compaction.lag.ms: records younger than this are never compacted. */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms: dirty records older than this are compacted whatever the dirty ratio. */
  maxCompactionLagMs: number;
  /** delete.retention.ms: how long a tombstone stays readable once compaction could remove it. */
  deleteRetentionMs: number;
  /** min.cleanable.dirty.ratio: compact only when this share of the cleanable bytes is new since the last pass. */
  minCleanableDirtyRatio: number;
}

export interface CompactionStats {
  segmentsBefore: number;
  segmentsAfter: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
}

/** The newest offset of each key in the dirty part of the log, and where that part ends. */
export interface KeyMap {
  latest: Map<string, number>;
  /** Batches of aborted transactions: never mapped, and dropped whole by compaction. */
  isAborted: (batch: Buffer) => boolean;
  /** Offsets from here on were not mapped: their records are kept as they are. */
  endOffset: number;
}

/** Bounds one pass's memory: the map stops growing after the segment that reaches this many keys. */
export const MAX_KEYS_PER_PASS = 2_000_000;

/**
 * How long the cleaner works between two turns of the event loop. Bytes are no measure of it: a
 * compressed batch may decode to a hundred times its size.
 */
const STEP_MS = 5;

/**
 * Visits the batches of a segment (pinned for the walk) in steps of about STEP_MS, awaiting
 * `afterStep` between steps, so that produce and fetch get their turns while the cleaner works.
 */
async function eachBatch(fs: Fs, segment: Segment, visit: (batch: Buffer) => void, afterStep: () => Promise<void> = yieldTurn): Promise<void> {
  segment.pin();
  try {
    let from = 0;
    while (from < segment.written && segment.fd >= 0) {
      const stepStarted = performance.now();
      const end = await scanBatches(fs, segment.fd, from, segment.written, (buf, at, _position, size) => {
        visit(buf.subarray(at, at + size));
        return performance.now() - stepStarted < STEP_MS;
      });
      await afterStep();
      if (end.reason === 'torn') throw new StorageError(`${segment.dir}: incomplete batch at byte ${end.position} of sealed segment ${segment.baseOffset}`);
      if (end.reason === 'end') break;
      from = end.position;
    }
  } finally {
    await segment.unpin(fs);
  }
}

function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function isControl(batch: Buffer): boolean {
  return (batch.readInt16BE(BatchField.ATTRIBUTES) & Attribute.CONTROL) !== 0;
}

/** Maps every key of the records from `fromOffset` on, segment by segment, to its newest offset. */
export async function buildKeyMap(fs: Fs, segments: Segment[], fromOffset: number, isAborted: (batch: Buffer) => boolean, maxKeys = MAX_KEYS_PER_PASS): Promise<KeyMap> {
  const latest = new Map<string, number>();
  let endOffset = fromOffset;
  for (const segment of segments) {
    if (segment.nextOffset <= fromOffset) continue;
    await eachBatch(fs, segment, (batch) => {
      if (isControl(batch) || isAborted(batch)) return;
      for (const record of decodeRecordBatchWithHeader(batch).records) {
        if (record.key !== null && record.offset >= fromOffset) latest.set(record.key.toString('latin1'), record.offset);
      }
    });
    endOffset = segment.nextOffset;
    if (latest.size >= maxKeys) break;
  }
  return { latest, endOffset, isAborted };
}

/**
 * What compaction keeps of one batch: 'all' (its bytes are copied as they are), null (nothing), or
 * the batch re-encoded with only the kept records. A record goes when a newer record has its key,
 * when it has no key, or when it is a tombstone and `dropTombstones` says their time is over.
 * Kept records keep their offsets and timestamps; the batch keeps its base and last offsets,
 * producer fields and codec, as Kafka does.
 */
export function compactBatch(batch: Buffer, keys: KeyMap, dropTombstones: boolean): { kept: 'all' | Buffer | null; removed: number } {
  if (isControl(batch)) return { kept: 'all', removed: 0 };
  if (keys.isAborted(batch)) return { kept: null, removed: batch.readInt32BE(BatchField.RECORDS_COUNT) };
  const decoded = decodeRecordBatchWithHeader(batch);
  const kept = decoded.records.filter((r) => {
    if (r.key === null) return false;
    const newest = keys.latest.get(r.key.toString('latin1'));
    if (newest !== undefined && r.offset < newest) return false;
    return !(r.value === null && dropTombstones);
  });
  const removed = decoded.records.length - kept.length;
  if (removed === 0) return { kept: 'all', removed };
  if (kept.length === 0) return { kept: null, removed };
  const logAppendTime = (decoded.attributes & Attribute.TIMESTAMP_TYPE_LOG_APPEND) !== 0;
  const rewritten = encodeRecordBatch({
    baseOffset: decoded.baseOffset,
    partitionLeaderEpoch: decoded.partitionLeaderEpoch,
    attributes: decoded.attributes,
    compression: (decoded.attributes & Attribute.COMPRESSION_MASK) as CompressionCode,
    baseTimestamp: decoded.baseTimestamp,
    maxTimestamp: logAppendTime ? decoded.maxTimestamp : undefined,
    lastOffsetDelta: decoded.lastOffsetDelta,
    producerId: decoded.producerId,
    producerEpoch: decoded.producerEpoch,
    baseSequence: decoded.baseSequence,
    records: kept.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestampDelta: r.timestampDelta, offsetDelta: r.offsetDelta })),
  });
  return { kept: rewritten, removed };
}

/** Consecutive segments merged into one while their total stays within `maxBytes` (segment.bytes). */
export function groupSegments(segments: Segment[], maxBytes: number): Segment[][] {
  const groups: Segment[][] = [];
  let size = 0;
  for (const segment of segments) {
    const last = groups.at(-1);
    if (last && size + segment.size <= maxBytes) {
      last.push(segment);
      size += segment.size;
    } else {
      groups.push([segment]);
      size = segment.size;
    }
  }
  return groups;
}

/**
 * Writes the compacted batches of `group` to `path` and fdatasyncs it. Tombstones are dropped from
 * segments whose newest record is older than `tombstoneHorizon`.
 */
export async function writeCompactedGroup(fs: Fs, path: string, group: Segment[], keys: KeyMap, tombstoneHorizon: number): Promise<{ bytes: number; removed: number }> {
  const fd = await fs.openReadWrite(path);
  try {
    await fs.truncate(fd, 0);
    let position = 0;
    let removed = 0;
    let out: Buffer[] = [];
    const writeOut = async () => {
      if (out.length === 0) return yieldTurn();
      const buffers = out;
      out = [];
      await fs.writev(fd, buffers, position);
      position += buffers.reduce((n, b) => n + b.length, 0);
    };
    for (const segment of group) {
      const dropTombstones = segment.maxTimestamp < tombstoneHorizon;
      const keep = (batch: Buffer) => {
        const result = compactBatch(batch, keys, dropTombstones);
        removed += result.removed;
        if (result.kept === 'all') out.push(Buffer.from(batch));
        else if (result.kept) out.push(result.kept);
      };
      await eachBatch(fs, segment, keep, writeOut);
    }
    await fs.fdatasync(fd);
    return { bytes: position, removed };
  } finally {
    await fs.close(fd);
  }
}
