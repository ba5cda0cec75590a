import { Serdes } from '../serdes.ts';
import { StreamsBuilder } from '../dsl/streams-builder.ts';
import type { Topology } from '../topology/topology.ts';

/**
 * Word count: lines of text in, each word's running count out (key = word, value = the count as
 * decimal text, so kcat and shell tools read it). Repartitions by word, then counts in the store
 * `counts`.
 */
export function wordCountTopology(input: string, output: string): Topology {
  const builder = new StreamsBuilder();
  builder.stream(input, { key: Serdes.string(), value: Serdes.string() })
    .flatMapValues((line) => line.toLowerCase().split(/\W+/).filter(Boolean))
    .groupBy((_key, word) => word, { name: 'by-word', key: Serdes.string(), value: Serdes.string() })
    .count({ name: 'counts' })
    .toStream()
    .to(output, { value: Serdes.decimal() });
  return builder.build();
}
