/**
 * RecordBatch v2 (magic 2) header layout: byte offsets of each field from the start of a batch.
 * The CRC-32C covers everything from ATTRIBUTES to the end of the batch, so the broker can patch
 * BASE_OFFSET and PARTITION_LEADER_EPOCH without recomputing it.
 */
export const BatchField = {
  BASE_OFFSET: 0, // int64
  BATCH_LENGTH: 8, // int32: bytes after this field
  PARTITION_LEADER_EPOCH: 12, // int32
  MAGIC: 16, // int8
  CRC: 17, // uint32
  ATTRIBUTES: 21, // int16
  LAST_OFFSET_DELTA: 23, // int32
  BASE_TIMESTAMP: 27, // int64
  MAX_TIMESTAMP: 35, // int64
  PRODUCER_ID: 43, // int64
  PRODUCER_EPOCH: 51, // int16
  BASE_SEQUENCE: 53, // int32
  RECORDS_COUNT: 57, // int32
} as const;

/** Size of the header; records start here. */
export const BATCH_HEADER_SIZE = 61;
/** Base offset and batch length: the part of a batch its length field does not count. */
export const LOG_OVERHEAD = 12;
export const CURRENT_MAGIC = 2;

export const Attribute = {
  COMPRESSION_MASK: 0x07,
  TIMESTAMP_TYPE_LOG_APPEND: 0x08,
  TRANSACTIONAL: 0x10,
  CONTROL: 0x20,
  DELETE_HORIZON: 0x40,
} as const;

export const Compression = { NONE: 0, GZIP: 1, SNAPPY: 2, LZ4: 3, ZSTD: 4 } as const;
export type CompressionCode = (typeof Compression)[keyof typeof Compression];
