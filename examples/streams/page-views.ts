// Windowed page views: counts the views of each page per minute, and writes each minute's count
// once, when the minute is over (plus 10 s for late views): key = "page@minute", value = count.
//   node examples/streams/page-views.ts --brokers localhost:9092 --input page-views --output page-view-counts
// Input records: key = user (any), value = the page viewed ("/pricing").
import { fileURLToPath } from 'node:url';
import { Serdes, StreamsBuilder, TimeWindows, type Topology } from '@millrace/streams';
import { exampleArgs, runUntilStopped } from './run-example.ts';

export function pageViews(input: string, output: string): Topology {
  const builder = new StreamsBuilder();
  builder.stream(input, { key: Serdes.string(), value: Serdes.string() })
    .groupBy((_user, page) => page, { name: 'views-by-page', key: Serdes.string(), value: Serdes.string() })
    .windowedBy(TimeWindows.ofSize('1m', { grace: '10s' }))
    .emit('onClose')
    .count({ name: 'views-per-minute' })
    .toStream()
    .map((windowed, count) => [`${windowed.key}@${new Date(windowed.window.start).toISOString()}`, count])
    .to(output, { key: Serdes.string(), value: Serdes.decimal() });
  return builder.build();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = exampleArgs('page-views.ts --brokers HOST:PORT --input TOPIC --output TOPIC [--application-id ID] [--exactly-once]', ['input', 'output'], 'page-views');
  await runUntilStopped(pageViews(args.values.input, args.values.output), args.config);
}
