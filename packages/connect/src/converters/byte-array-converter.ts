import { ConnectError } from '../errors.ts';
import type { Converter } from './converter.ts';

/** org.apache.kafka.connect.converters.ByteArrayConverter: the bytes as they are, schema optional bytes. */
export function byteArrayConverter(): Converter {
  return {
    fromConnectData(topic, _schema, value) {
      if (value === null || value === undefined) return null;
      if (!Buffer.isBuffer(value)) throw new ConnectError('CONVERSION', `ByteArrayConverter passes bytes through, and a record for ${topic} has a ${typeof value}`);
      return value;
    },
    toConnectData(_topic, bytes) {
      return { schema: { type: 'bytes', optional: true }, value: bytes };
    },
  };
}
