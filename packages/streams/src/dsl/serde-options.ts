import { StreamsError } from '../errors.ts';
import type { Serde } from '../serdes.ts';

/** Serdes a stream carries: known from its source and kept through operators that do not change the type. */
export interface KnownSerdes<K, V> {
  key: Serde<K> | undefined;
  value: Serde<V> | undefined;
}

/** The serde given, else the one known; an operator that needs bytes and has neither is refused when the topology is built. */
export function requireSerde<T>(given: Serde<T> | undefined, known: Serde<T> | undefined, what: string): Serde<T> {
  const serde = given ?? known;
  if (!serde) throw new StreamsError('INVALID_TOPOLOGY', `${what} needs a serde: the type changed upstream (map, mapValues, ...), so pass one in the options`);
  return serde;
}

/** Names of stateful operators become store and topic names, so they must be usable as Kafka topic name parts. */
export function checkName(name: string | undefined, what: string): string {
  if (name === undefined || name === '') throw new StreamsError('INVALID_TOPOLOGY', `${what} needs a name: it names the operator's store and topics, which must not change when the topology does`);
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) throw new StreamsError('INVALID_TOPOLOGY', `"${name}" cannot name ${what}: use letters, digits, '.', '_' and '-'`);
  return name;
}
