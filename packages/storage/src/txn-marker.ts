import { Attribute, decodeRecordBatchWithHeader, encodeRecordBatch } from '@millrace/protocol';

/** Control record types (the key's second int16): what a marker ends its transaction with. */
const ControlType = { ABORT: 0, COMMIT: 1 } as const;

/**
 * A transaction marker as Kafka writes it: a control batch of the producer's id and epoch holding
 * one record, key (version 0, type) and value (version 0, coordinator epoch).
 */
export function encodeTxnMarker(producerId: number, producerEpoch: number, committed: boolean, coordinatorEpoch: number, timestamp: number): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(committed ? ControlType.COMMIT : ControlType.ABORT, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return encodeRecordBatch({
    attributes: Attribute.CONTROL | Attribute.TRANSACTIONAL,
    producerId: BigInt(producerId),
    producerEpoch,
    baseSequence: -1,
    records: [{ key, value, timestamp }],
  });
}

/** The marker a control batch holds, or null if it holds another kind of control record. */
export function decodeTxnMarker(batch: Buffer): { committed: boolean } | null {
  const record = decodeRecordBatchWithHeader(batch).records[0];
  if (!record?.key || record.key.length < 4) return null;
  const type = record.key.readInt16BE(2);
  if (type !== ControlType.ABORT && type !== ControlType.COMMIT) return null;
  return { committed: type === ControlType.COMMIT };
}
