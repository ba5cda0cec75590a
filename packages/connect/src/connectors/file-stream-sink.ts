import { open, type FileHandle } from 'node:fs/promises';
import type { ConfigKey, ConfigMap, SinkConnector, SinkTask } from '../connector.ts';
import type { ConnectValue, SinkRecord } from '../data.ts';
import { sinkConnector } from './define-connector.ts';

const CONFIG: ConfigKey[] = [
  { name: 'file', type: 'string', importance: 'high', documentation: 'The file to append each record\'s value to, one line each.' },
];

/**
 * org.apache.kafka.connect.file.FileStreamSinkConnector: appends each record's value to a file as a
 * line (strings as they are, bytes as UTF-8, anything else as JSON). A flush fsyncs the file before
 * the worker commits the offsets, so a crash repeats lines at most, never loses one.
 */
export function fileStreamSinkConnector(): SinkConnector {
  // Lines from several tasks would interleave in one file: one task.
  return sinkConnector({ name: 'FileStreamSinkConnector', configDef: CONFIG, tasks: 'one', createTask: () => new FileStreamSinkTask() });
}

class FileStreamSinkTask implements SinkTask {
  private handle: FileHandle | null = null;

  async start(config: ConfigMap): Promise<void> {
    this.handle = await open(config.file, 'a');
  }

  async put(records: SinkRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.handle!.write(records.map((r) => `${line(r.value)}\n`).join(''));
  }

  async flush(): Promise<void> {
    await this.handle?.sync();
  }

  async stop(): Promise<void> {
    await this.handle?.sync();
    await this.handle?.close();
    this.handle = null;
  }
}

function line(value: ConnectValue): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? JSON.rawJSON(v.toString()) : v));
}
