export { PartitionLog, type LogConfig, type LogOptions, type AppendResult } from './partition-log.ts';
export { NodeFs, type Fs } from './fs.ts';
export { StorageError, OffsetOutOfRangeError, CorruptLogError } from './storage-error.ts';
export { readCheckpoint, writeCheckpoint, removeCheckpoint, readOffsetCheckpoint, writeFileDurably } from './checkpoint-file.ts';
export { FaultInjectingFs, type CrashMode } from './fault-injecting-fs.ts';
export { ProducerSequenceError } from './producer-state.ts';
export { decodeTxnMarker } from './txn-marker.ts';
export type { CompactionConfig, CompactionStats } from './compaction.ts';
export { LeaderEpochCache, type EpochEntry } from './leader-epochs.ts';
