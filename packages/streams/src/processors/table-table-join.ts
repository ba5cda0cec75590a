import type { TableGetter } from '../dsl/table-getter.ts';
import type { ProcessorContext, ProcessorSupplier } from '../processor.ts';
import type { Change } from '../record.ts';
import type { ValueJoiner } from './stream-table-join.ts';

export type JoinType = 'inner' | 'left' | 'outer';

/** The joined row of a table-table join, or null when the join type gives none for these sides. */
export function joinRow<L, R, J>(type: JoinType, joiner: ValueJoiner<L | null, R | null, J>, left: L | null, right: R | null): J | null {
  if (type === 'inner') return left !== null && right !== null ? joiner(left, right) : null;
  if (type === 'left') return left !== null ? joiner(left, right) : null;
  return left !== null || right !== null ? joiner(left, right) : null;
}

/**
 * One side of a table-table join: an update of this side looks the key up on the other side and
 * passes on the joined row's change (a tombstone when the row is gone), timestamped with the later
 * of the two sides' timestamps.
 */
export function tableTableJoinProcessor<K, V, VO, J>(other: TableGetter<K, VO>, row: (mine: V | null, theirs: VO | null) => J | null): ProcessorSupplier<K, Change<V>, K, Change<J>> {
  return () => {
    let context!: ProcessorContext<K, Change<J>>;
    let lookup!: (key: K) => { value: VO; timestamp: number } | undefined;
    return {
      init(c) {
        context = c;
        lookup = other.lookup(c as never);
      },
      process(record) {
        if (record.key === null || record.key === undefined) return;
        const theirs = lookup(record.key);
        const newValue = row(record.value.newValue, theirs?.value ?? null);
        const oldValue = row(record.value.oldValue, theirs?.value ?? null);
        if (newValue === null && oldValue === null) return;
        const timestamp = theirs === undefined ? record.timestamp : Math.max(record.timestamp, theirs.timestamp);
        context.forward({ key: record.key, value: { newValue, oldValue }, timestamp, headers: record.headers });
      },
    };
  };
}
