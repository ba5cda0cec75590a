import { ConnectError } from '../errors.ts';
import type { Converter } from './converter.ts';

/** org.apache.kafka.connect.storage.StringConverter: UTF-8 text, schema an optional string. */
export function stringConverter(): Converter {
  return {
    fromConnectData(topic, _schema, value) {
      if (value === null || value === undefined) return null;
      if (Buffer.isBuffer(value)) return Buffer.from(value);
      if (typeof value === 'object') throw new ConnectError('CONVERSION', `StringConverter writes text, and a record for ${topic} has a ${Array.isArray(value) ? 'list' : 'struct'}: use the JsonConverter`);
      return Buffer.from(String(value), 'utf8');
    },
    toConnectData(_topic, bytes) {
      return { schema: { type: 'string', optional: true }, value: bytes === null ? null : bytes.toString('utf8') };
    },
  };
}
