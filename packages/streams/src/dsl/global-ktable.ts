import type { Serde } from '../serdes.ts';
import type { TableGetter } from './table-getter.ts';

/**
 * A table read whole by every instance (all partitions of its topic), before any stream record is
 * processed and then as it changes. Streams join it by a key taken from each record, so neither
 * side needs the other's partitioning. It is not synchronised with stream time.
 */
export class GlobalKTable<K, V> {
  readonly storeName: string;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  readonly getter: TableGetter<K, V>;

  constructor(storeName: string, keySerde: Serde<K>, valueSerde: Serde<V>, getter: TableGetter<K, V>) {
    this.storeName = storeName;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.getter = getter;
  }
}
