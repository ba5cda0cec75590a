import { internalContext } from '../engine/node-context.ts';
import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor.ts';
import { type StreamRecord, withKeyValue, withValue } from '../record.ts';

/** A processor that only forwards what `step` makes of each record. */
function forwarding<K, V, K2, V2>(step: (record: StreamRecord<K, V>, forward: (r: StreamRecord<K2, V2>) => void, context: ProcessorContext<K2, V2>) => void): ProcessorSupplier<K, V, K2, V2> {
  return () => {
    let context!: ProcessorContext<K2, V2>;
    const forward = (r: StreamRecord<K2, V2>) => context.forward(r);
    const processor: Processor<K, V, K2, V2> = {
      init: (c) => { context = c; },
      process: (record) => step(record, forward, context),
    };
    return processor;
  };
}

export function filterProcessor<K, V>(predicate: (key: K, value: V) => boolean, keep: boolean): ProcessorSupplier<K, V, K, V> {
  return forwarding((record, forward) => {
    if (predicate(record.key, record.value) === keep) forward(record);
  });
}

export function mapProcessor<K, V, K2, V2>(mapper: (key: K, value: V) => [K2, V2]): ProcessorSupplier<K, V, K2, V2> {
  return forwarding((record, forward) => {
    const [key, value] = mapper(record.key, record.value);
    forward(withKeyValue(record, key, value));
  });
}

export function mapValuesProcessor<K, V, V2>(mapper: (value: V, key: K) => V2): ProcessorSupplier<K, V, K, V2> {
  return forwarding((record, forward) => forward(withValue(record, mapper(record.value, record.key))));
}

export function flatMapProcessor<K, V, K2, V2>(mapper: (key: K, value: V) => Iterable<[K2, V2]>): ProcessorSupplier<K, V, K2, V2> {
  return forwarding((record, forward) => {
    for (const [key, value] of mapper(record.key, record.value)) forward(withKeyValue(record, key, value));
  });
}

/** A null value (a tombstone) has nothing to split: it is skipped and counted, rather than handed to the mapper. */
export function flatMapValuesProcessor<K, V, V2>(mapper: (value: V, key: K) => Iterable<V2>): ProcessorSupplier<K, V, K, V2> {
  return forwarding((record, forward, context) => {
    if (record.value === null || record.value === undefined) {
      internalContext(context).recordDropped('null-value', 'flatMapValues skips null values');
      return;
    }
    for (const value of mapper(record.value, record.key)) forward(withValue(record, value));
  });
}

export function selectKeyProcessor<K, V, K2>(selector: (key: K, value: V) => K2): ProcessorSupplier<K, V, K2, V> {
  return forwarding((record, forward) => forward(withKeyValue(record, selector(record.key, record.value), record.value)));
}

export function peekProcessor<K, V>(action: (key: K, value: V) => void): ProcessorSupplier<K, V, K, V> {
  return forwarding((record, forward) => {
    action(record.key, record.value);
    forward(record);
  });
}

export function passThrough<K, V>(): ProcessorSupplier<K, V, K, V> {
  return forwarding((record, forward) => forward(record));
}

/** Sends each record to the first branch whose predicate accepts it; `children[i]` is branch i's node. */
export function branchProcessor<K, V>(predicates: ((key: K, value: V) => boolean)[], children: string[]): ProcessorSupplier<K, V, K, V> {
  return forwarding((record, _forward, context) => {
    const index = predicates.findIndex((p) => p(record.key, record.value));
    if (index >= 0) context.forward(record, children[index]);
  });
}
