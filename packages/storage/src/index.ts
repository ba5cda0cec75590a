export { PartitionLog, type LogConfig, type LogOptions, type AppendResult } from './partition-log.ts';
export { NodeFs, type Fs } from './fs.ts';
export { StorageError, OffsetOutOfRangeError } from './storage-error.ts';
