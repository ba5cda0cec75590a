// Word count: reads lines of text and writes each word's running count (key = the word, value =
// the count as decimal text) until stopped.
//   node examples/streams/word-count.ts --brokers localhost:9092 --input lines --output word-counts
import { fileURLToPath } from 'node:url';
import { Serdes, StreamsBuilder, type StoreType, type Topology } from '@millrace/streams';
import { exampleArgs, runUntilStopped } from './run-example.ts';

export function wordCount(input: string, output: string, defaultStore: StoreType = 'in-memory'): Topology {
  const builder = new StreamsBuilder({ defaultStore });
  builder.stream(input, { key: Serdes.string(), value: Serdes.string() })
    .flatMapValues((line) => line.toLowerCase().split(/\W+/).filter(Boolean))
    .groupBy((_key, word) => word, { name: 'by-word', key: Serdes.string(), value: Serdes.string() })
    .count({ name: 'counts' })
    .toStream()
    .to(output, { value: Serdes.decimal() });
  return builder.build();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = exampleArgs('word-count.ts --brokers HOST:PORT --input TOPIC --output TOPIC [--application-id ID] [--exactly-once] [--persistent [--state-dir DIR]]', ['input', 'output'], 'word-count');
  await runUntilStopped(wordCount(args.values.input, args.values.output, args.store), args.config);
}
