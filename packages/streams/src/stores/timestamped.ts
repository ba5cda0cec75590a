import { StreamsError } from '../errors.ts';
import type { TimestampedValue } from '../record.ts';
import type { Serde } from '../serdes.ts';

/** A table's stored value with its timestamp, as Kafka Streams' timestamped stores write it: 8 bytes of timestamp, then the value. */
export function timestampedSerde<V>(inner: Serde<V>): Serde<TimestampedValue<V>> {
  return {
    serialize(entry) {
      const ts = Buffer.allocUnsafe(8);
      ts.writeBigInt64BE(BigInt(entry.timestamp));
      return Buffer.concat([ts, inner.serialize(entry.value)]);
    },
    deserialize(data) {
      if (data.length < 8) throw new StreamsError('SERDE', `a timestamped value needs 8 bytes of timestamp, it has ${data.length}`);
      return { timestamp: Number(data.readBigInt64BE(0)), value: inner.deserialize(data.subarray(8)) };
    },
  };
}
