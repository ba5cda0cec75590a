import type { TableGetter } from '../dsl/table-getter.ts';
import { type InternalProcessorContext, internalContext } from '../engine/node-context.ts';
import type { ProcessorSupplier } from '../processor.ts';
import { withValue } from '../record.ts';

export type ValueJoiner<V1, V2, R> = (left: V1, right: V2) => R;

/**
 * A stream record looks its key (or, for a global table, the key `lookupKey` takes from it) up
 * in the table as it is now; the result keeps the stream
 * record's timestamp. Table updates trigger nothing. Stream records with a null value are
 * skipped; with a null key, an inner join skips them and a left join joins them with null.
 */
export function streamTableJoinProcessor<K, V, KT, VT, R>(table: TableGetter<KT, VT>, joiner: ValueJoiner<V, VT | null, R>, left: boolean, name: string, lookupKey: ((key: K, value: V) => KT) | null = null): ProcessorSupplier<K, V, K, R> {
  return () => {
    let context!: InternalProcessorContext<K, R>;
    let lookup!: (key: KT) => { value: VT } | undefined;
    return {
      init(c) {
        context = internalContext(c);
        lookup = table.lookup(c as never);
      },
      process(record) {
        if (record.value === null || record.value === undefined) return context.recordDropped('null-value', `${name} skips stream records without a value`);
        // A global table is looked up by a key taken from the record (null: no row).
        const key = lookupKey === null ? (record.key as unknown as KT) : lookupKey(record.key, record.value);
        const keyless = key === null || key === undefined;
        if (keyless && !left) return context.recordDropped('null-key', `${name} skips stream records without a key`);
        const row = keyless ? undefined : lookup(key);
        if (row === undefined && !left) return;
        context.forward(withValue(record, joiner(record.value, row === undefined ? null : row.value)));
      },
    };
  };
}
