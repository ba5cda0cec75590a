import type { ConsumedRecord } from '@millrace/client';
import type { RecordHeader } from '@millrace/protocol';

/** A record as consumed from a topic, before its source node reads it: the client's own record. */
export type InputRecord = ConsumedRecord;

/** A record a task writes: to an output, repartition or changelog topic. No partition: the producer's partitioner picks. */
export interface OutputRecord {
  topic: string;
  partition: number | undefined;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number;
  headers: RecordHeader[];
}

/** Where a task's output goes: the producer at run time, the driver's topics in a test. */
export interface RecordCollector {
  send(record: OutputRecord): void;
  /** For stream partitioners: how many partitions the topic has. */
  partitionCount(topic: string): number;
}

/** Why records were dropped, and how many: the task's `dropped-records` metric, by reason. */
export type DropReason = 'late' | 'null-key' | 'null-value' | 'negative-timestamp' | 'deserialization-error' | 'processing-error' | 'expired';
