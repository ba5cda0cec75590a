import { join } from 'node:path';
import { readFileIfExists, writeFileDurably } from './durable-file.ts';

/** What is persisted about one topic; its partitions' data lives in `<topic>-<partition>/` directories. */
export interface TopicRecord {
  name: string;
  id: string;
  partitionCount: number;
  /** Topic-level config overrides (only what was set for this topic). */
  configs: Record<string, string>;
}

const FILE = 'topics.json';
const FORMAT_VERSION = 1;

export function loadTopicRecords(dataDir: string): TopicRecord[] {
  const text = readFileIfExists(join(dataDir, FILE));
  if (text === null) return [];
  const parsed = JSON.parse(text) as { version: number; topics: TopicRecord[] };
  if (parsed.version !== FORMAT_VERSION) throw new Error(`${FILE} has format version ${parsed.version}; this broker reads ${FORMAT_VERSION}`);
  return parsed.topics;
}

export function saveTopicRecords(dataDir: string, topics: TopicRecord[]): void {
  writeFileDurably(join(dataDir, FILE), JSON.stringify({ version: FORMAT_VERSION, topics }, null, 1) + '\n');
}
