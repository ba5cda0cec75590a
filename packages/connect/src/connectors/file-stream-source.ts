import { open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConfigKey, ConfigMap, SourceConnector, SourceTask, SourceTaskContext } from '../connector.ts';
import { intSetting } from '../config.ts';
import type { SourceRecord } from '../data.ts';
import { sourceConnector } from './define-connector.ts';

const CONFIG: ConfigKey[] = [
  { name: 'file', type: 'string', importance: 'high', documentation: 'The file to read: every line becomes a record, and lines appended later are read as they come.' },
  { name: 'topic', type: 'string', importance: 'high', documentation: 'The topic to write the lines to.' },
  { name: 'batch.size', type: 'int', default: '2000', importance: 'low', documentation: 'The most lines one poll returns.' },
];
/** How long a poll waits for the file to grow before returning nothing. */
const IDLE_WAIT_MS = 1000;
const READ_BYTES = 64 * 1024;
const STRING_SCHEMA = { type: 'string', optional: false } as const;

/**
 * org.apache.kafka.connect.file.FileStreamSourceConnector: tails a text file, one record per line
 * (value: the line as a string), with the byte position after each line as its source offset
 * (`{"position": N}` for the source partition `{"filename": FILE}`), so a restart goes on from the
 * last line Kafka acknowledged. A file that shrinks (truncated or replaced) is read from its start.
 */
export function fileStreamSourceConnector(): SourceConnector {
  // One file is read in order by one task.
  return sourceConnector({ name: 'FileStreamSourceConnector', configDef: CONFIG, tasks: 'one', createTask: () => new FileStreamSourceTask() });
}

class FileStreamSourceTask implements SourceTask {
  private file = '';
  private topic = '';
  private batchSize = 2000;
  private handle: FileHandle | null = null;
  /** The byte position of the next line to hand out: every line before it was. */
  private position = 0;
  private context!: SourceTaskContext;

  start(config: ConfigMap, context: SourceTaskContext): void {
    this.file = config.file;
    this.topic = config.topic;
    this.batchSize = intSetting(config, CONFIG, 'batch.size');
    this.context = context;
    const stored = context.offset({ filename: this.file });
    this.position = typeof stored?.position === 'number' ? stored.position : 0;
  }

  async poll(signal: AbortSignal): Promise<SourceRecord[]> {
    const records = await this.readLines();
    if (records.length === 0) await sleep(IDLE_WAIT_MS, undefined, { signal }).catch(() => undefined);
    return records;
  }

  /** The complete lines from `position` on, at most a batch; a line still being written is read again next time. */
  private async readLines(): Promise<SourceRecord[]> {
    const size = await stat(this.file).then((s) => s.size, (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (size === null) return [];
    if (size < this.position) {
      this.context.log(`${this.file} is shorter (${size} bytes) than the position read (${this.position}): reading it from the start`);
      this.position = 0;
      await this.handle?.close();
      this.handle = null;
    }
    this.handle ??= await open(this.file, 'r');
    const records: SourceRecord[] = [];
    let unsplit = Buffer.alloc(0);
    let readAt = this.position;
    while (records.length < this.batchSize) {
      const chunk = Buffer.allocUnsafe(READ_BYTES);
      const { bytesRead } = await this.handle.read(chunk, 0, READ_BYTES, readAt);
      if (bytesRead === 0) break;
      readAt += bytesRead;
      const data = unsplit.length === 0 ? chunk.subarray(0, bytesRead) : Buffer.concat([unsplit, chunk.subarray(0, bytesRead)]);
      let start = 0;
      let newline: number;
      while (records.length < this.batchSize && (newline = data.indexOf(0x0a, start)) >= 0) {
        const end = newline > start && data[newline - 1] === 0x0d ? newline - 1 : newline;
        this.position += newline + 1 - start;
        records.push({ sourcePartition: { filename: this.file }, sourceOffset: { position: this.position }, topic: this.topic, valueSchema: STRING_SCHEMA, value: data.toString('utf8', start, end) });
        start = newline + 1;
      }
      unsplit = data.subarray(start);
    }
    return records;
  }

  async stop(): Promise<void> {
    await this.handle?.close();
    this.handle = null;
  }
}
