import { join } from 'node:path';
import { crc32c } from '@millrace/protocol';
import { type Fs, writeFileDurably } from '@millrace/storage';

/** What is persisted about one topic; its partitions' data lives in `<topic>-<partition>/` directories. */
export interface TopicRecord {
  name: string;
  id: string;
  partitionCount: number;
  /** Topic-level config overrides (only what was set for this topic). */
  configs: Record<string, string>;
}

const FILE = 'topics.json';
const FORMAT_VERSION = 2;

/**
 * `topics.json`: {"version", "crc32c", "topics"}, the CRC taken over the topics' JSON, so a damaged
 * file stops the broker with a message instead of losing topics.
 */
export async function loadTopicRecords(fs: Fs, dataDir: string): Promise<TopicRecord[]> {
  const path = join(dataDir, FILE);
  const data = await fs.readFileIfExists(path);
  if (data === null) return [];
  const parsed = JSON.parse(data.toString('utf8')) as { version: number; crc32c?: number; topics: TopicRecord[] };
  // Version 1 was written before the CRC existed.
  if (parsed.version !== FORMAT_VERSION && parsed.version !== 1) throw new Error(`${path} has format version ${parsed.version}; this broker reads ${FORMAT_VERSION}`);
  if (parsed.version === FORMAT_VERSION && crc32c(Buffer.from(JSON.stringify(parsed.topics))) !== parsed.crc32c) throw new Error(`${path} is damaged (CRC mismatch)`);
  return parsed.topics;
}

export function saveTopicRecords(fs: Fs, dataDir: string, topics: TopicRecord[]): Promise<void> {
  const text = JSON.stringify({ version: FORMAT_VERSION, crc32c: crc32c(Buffer.from(JSON.stringify(topics))), topics }, null, 1) + '\n';
  return writeFileDurably(fs, join(dataDir, FILE), Buffer.from(text));
}
